// Hosted checkout page: /c/{session_id}#{client_secret}.
// The secret lives in the fragment (never sent to a server); it is read once and
// removed from the address bar so it does not end up in history or screenshots.
(function () {
  "use strict";
  var match = location.pathname.match(/^\/c\/(cs_[A-Za-z0-9_]+)$/);
  var root = document.getElementById("checkout");
  if (!match) {
    root.textContent = "This checkout link is not valid.";
    return;
  }
  var secret = location.hash.length > 1 ? decodeURIComponent(location.hash.slice(1)) : null;
  if (secret) history.replaceState(null, "", location.pathname + location.search);
  window.Kasse.mount(root, { session: match[1], clientSecret: secret, redirectOnSuccess: true, theme: { mode: "auto" } });
})();

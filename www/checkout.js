// Hosted checkout page: /c/{session_id}#{client_secret}.
// The secret lives in the fragment (never sent to a server); it is read once and
// removed from the address bar so it does not end up in history or screenshots.
//
// The page speaks the widget's language: the widget knows the session's choice, and says
// which language it shows with `kasse:locale`; until then (and for a link that is not a
// checkout) the page follows the browser's languages. Its `h1` names the shop for screen
// readers only: the widget's header shows the name already, and a second, visible title
// would push the QR code down.
(function () {
  "use strict";
  var match = location.pathname.match(/^\/c\/(cs_[A-Za-z0-9_]+)$/);
  var root = document.getElementById("checkout");
  var title = document.getElementById("checkout-title");
  var i18n = import("/locale.js");
  var shown = { texts: null, merchant: null, wanted: null };

  function render() {
    var texts = shown.texts;
    if (!texts) return;
    var heading;
    if (!match) {
      heading = texts.t("page_invalid_title");
      title.classList.remove("visually-hidden");
      var body = document.createElement("p");
      body.textContent = texts.t("page_invalid_body");
      root.replaceChildren(body);
    } else if (shown.merchant) {
      heading = texts.t("page_checkout_merchant", { merchant: shown.merchant });
    } else {
      heading = texts.t("page_checkout_title");
    }
    title.textContent = heading;
    title.hidden = false;
    document.title = heading + " · Kasse";
  }

  /** Loads the texts of `locale` (null: the browser's); the latest language asked wins. */
  function speak(locale) {
    i18n.then(function (module) {
      var wanted = locale || module.browserLocale();
      if (wanted === shown.wanted) return null;
      shown.wanted = wanted;
      return module.textsOf(wanted).then(function (texts) {
        if (wanted !== shown.wanted) return;
        shown.texts = texts;
        module.speak(texts);
        render();
      });
    });
  }

  speak(null);
  if (!match) {
    document.body.classList.add("invalid");
    return;
  }
  root.addEventListener("kasse:locale", function (event) {
    document.documentElement.lang = event.detail.locale;
    document.documentElement.dir = event.detail.dir;
    speak(event.detail.locale);
  });
  var secret = location.hash.length > 1 ? decodeURIComponent(location.hash.slice(1)) : null;
  if (secret) history.replaceState(null, "", location.pathname + location.search);
  // The page's first inline script began reading the view as the page arrived (and its
  // second, loading the wasm): the widget takes that read.
  window.Kasse.mount(root, {
    session: match[1], clientSecret: secret, redirectOnSuccess: true, theme: { mode: "auto" },
    firstView: window.kasseFirstView,
  });
  // The shop's name, as the widget's header shows it, once the widget draws it.
  var shadow = root.shadowRoot;
  if (!shadow) return;
  var watch = new MutationObserver(function () {
    var name = shadow.querySelector(".kasse-merchant");
    var merchant = name ? name.textContent.trim() : "";
    if (!merchant) return;
    watch.disconnect();
    shown.merchant = merchant;
    render();
  });
  watch.observe(shadow, { childList: true, subtree: true, characterData: true });
})();

// Kasse widget loader. Embed with:
//   <script src="https://YOUR-KASSE/kasse.js" defer></script>
//   <div data-kasse-session="cs_…" data-kasse-secret="…"></div>
// or call Kasse.mount(element, { session, clientSecret }) yourself.
(function () {
  "use strict";
  if (window.Kasse) return;

  var script = document.currentScript;
  var base = new URL(".", script ? script.src : location.href).href;
  var wasm = null;

  function load() {
    if (!wasm) {
      wasm = import(base + "pkg/kasse_widget.js").then(function (glue) {
        return glue.default({ module_or_path: base + "pkg/kasse_widget_bg.wasm" }).then(function () {
          return glue;
        });
      });
    }
    return wasm;
  }

  function mount(element, options) {
    if (!element || !options || typeof options.session !== "string") {
      throw new TypeError("Kasse.mount(element, { session, clientSecret }) needs an element and a session id");
    }
    var handle = { unmounted: false, inner: null };
    handle.ready = load().then(function (glue) {
      if (handle.unmounted) return handle;
      handle.inner = glue.mount(element, options.session, options.clientSecret || "", base.replace(/\/$/, ""));
      return handle;
    });
    handle.unmount = function () {
      handle.unmounted = true;
      if (handle.inner) handle.inner.unmount();
    };
    return handle;
  }

  function mountAll() {
    var nodes = document.querySelectorAll("[data-kasse-session]:not([data-kasse-mounted])");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      el.setAttribute("data-kasse-mounted", "");
      mount(el, { session: el.getAttribute("data-kasse-session"), clientSecret: el.getAttribute("data-kasse-secret") });
    }
  }

  window.Kasse = { mount: mount, load: load };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  } else {
    mountAll();
  }
})();

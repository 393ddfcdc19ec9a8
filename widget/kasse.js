// Kasse widget loader. Embed with:
//   <script src="https://YOUR-KASSE/kasse.js" defer></script>
//   <div data-kasse-session="cs_…" data-kasse-secret="…"></div>
// or call Kasse.mount(element, { session, clientSecret, theme, locale, provider, providerName,
// firstView, onStatus, onPaid, onExpired }).
// Types: kasse.d.ts. The widget renders in a shadow root: the page's CSS cannot reach it and
// its CSS cannot leak out. Theme it with CSS custom properties on the element (or `theme`).
(function () {
  "use strict";
  if (window.Kasse) return;

  var script = document.currentScript;
  var base = new URL(".", script ? script.src : location.href).href;
  var wasm = null;

  // Public custom properties (--kasse-accent, --kasse-on-accent, --kasse-radius, --kasse-font,
  // --kasse-bg, --kasse-fg, --kasse-muted, --kasse-border) inherit from the page into the
  // shadow root; the internal --k-* ones add the light and dark defaults.
  var CSS = [
    ":host{display:block}",
    ".kasse-root{--k-accent:var(--kasse-accent,#1f3a5f);--k-on-accent:var(--kasse-on-accent,#fff);--k-radius:var(--kasse-radius,12px);--k-font:var(--kasse-font,system-ui,-apple-system,'Segoe UI',sans-serif);--k-bg:var(--kasse-bg,#fff);--k-fg:var(--kasse-fg,#14213d);--k-muted:var(--kasse-muted,#4a5568);--k-border:var(--kasse-border,#d6dce5);--k-warn-bg:#fff7e0;--k-error:#9b1c1c}",
    ".kasse-root[data-theme=dark]{--k-accent:var(--kasse-accent,#93c5fd);--k-on-accent:var(--kasse-on-accent,#0b1220);--k-bg:var(--kasse-bg,#111827);--k-fg:var(--kasse-fg,#f3f4f6);--k-muted:var(--kasse-muted,#cbd5e1);--k-border:var(--kasse-border,#374151);--k-warn-bg:#3b2f0b;--k-error:#fca5a5}",
    "@media (prefers-color-scheme:dark){.kasse-root[data-theme=auto]{--k-accent:var(--kasse-accent,#93c5fd);--k-on-accent:var(--kasse-on-accent,#0b1220);--k-bg:var(--kasse-bg,#111827);--k-fg:var(--kasse-fg,#f3f4f6);--k-muted:var(--kasse-muted,#cbd5e1);--k-border:var(--kasse-border,#374151);--k-warn-bg:#3b2f0b;--k-error:#fca5a5}}",
    ".kasse{box-sizing:border-box;font:15px/1.45 var(--k-font);color:var(--k-fg);background:var(--k-bg);border:1px solid var(--k-border);border-radius:var(--k-radius);padding:16px;max-width:420px;min-width:0;overflow-wrap:anywhere}",
    ".kasse *{box-sizing:border-box}",
    ".kasse h2{font-size:18px;margin:8px 0}",
    ".kasse p{margin:8px 0}",
    ".kasse-head{display:flex;justify-content:space-between;flex-wrap:wrap;gap:8px;border-bottom:1px solid var(--k-border);padding-bottom:8px}",
    ".kasse-test{font-size:13px;color:var(--k-muted)}",
    ".kasse-qr{background:#fff;border-radius:8px;width:max-content;margin:8px auto;padding:4px}",
    ".kasse-qr svg{display:block;width:220px;height:220px;max-width:100%}",
    ".kasse-copy{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:10px 0}",
    ".kasse-copy code{word-break:break-all;flex:1 1 12em;font-size:14px}",
    ".kasse-label{width:100%;font-size:13px;color:var(--k-muted)}",
    ".kasse-warning{background:var(--k-warn-bg);border-radius:6px;padding:6px 8px;font-size:13px}",
    ".kasse-actions{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-top:8px}",
    ".kasse-button{display:inline-block;background:var(--k-accent);color:var(--k-on-accent);border-radius:8px;padding:10px 16px;text-decoration:none;font-weight:600}",
    ".kasse button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid var(--k-accent);background:var(--k-bg);color:var(--k-fg);cursor:pointer}",
    ".kasse button:disabled{opacity:.6;cursor:progress}",
    ".kasse .kasse-link{border:0;padding:4px 0;text-decoration:underline;background:none}",
    ".kasse-wallets{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:8px}",
    ".kasse .kasse-wallet{display:inline-flex;align-items:center;gap:6px}",
    ".kasse-wallet img{border-radius:4px;flex:none}",
    ".kasse-options{list-style:none;margin:8px 0;padding:0;display:grid;gap:8px}",
    ".kasse .kasse-option{width:100%;display:flex;justify-content:space-between;flex-wrap:wrap;gap:4px;text-align:left;padding:10px 12px;border-radius:8px}",
    ".kasse .kasse-option[aria-pressed=true]{border-width:2px}",
    ".kasse-option-token{font-weight:600}",
    ".kasse-option-chain{color:var(--k-muted)}",
    ".kasse-links{display:flex;flex-wrap:wrap;gap:16px;margin-top:12px}",
    ".kasse a{color:var(--k-fg)}",
    ".kasse a.kasse-button{color:var(--k-on-accent)}",
    ".kasse-error{color:var(--k-error)}",
    ".kasse-muted,.kasse-stale{color:var(--k-muted);font-size:13px}",
    ".kasse-urgent{color:var(--k-error);font-weight:600}",
    ".kasse progress{width:100%}",
    ".kasse-refund{border-top:1px solid var(--k-border);margin-top:12px;padding-top:4px}",
    ".kasse label{display:block;font-weight:600;margin-top:8px}",
    ".kasse input{font:inherit;width:100%;margin:4px 0;padding:8px;border:1px solid var(--k-muted);border-radius:6px;background:var(--k-bg);color:var(--k-fg)}",
    ".kasse input[aria-invalid=true]{border:2px solid var(--k-error)}",
    ".kasse button[aria-disabled=true]{opacity:.6;cursor:progress}",
    ".kasse :focus-visible{outline:3px solid var(--k-accent);outline-offset:2px}",
    ".kasse-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    // Token and network marks; the QR modes and what to send beside the code.
    ".kasse-icon{flex:none;vertical-align:middle}",
    ".kasse-option-token,.kasse-option-chain{display:inline-flex;align-items:center;gap:6px}",
    ".kasse-qr-modes{border:0;margin:8px 0;padding:0;display:flex;flex-wrap:wrap;gap:6px}",
    ".kasse-qr-modes legend{float:left;width:100%;padding:0;margin:0 0 2px;font-size:13px;color:var(--k-muted)}",
    ".kasse label.kasse-qr-mode{display:inline-flex;align-items:center;gap:6px;margin:0;font-weight:400;border:1px solid var(--k-border);border-radius:8px;padding:6px 10px;cursor:pointer}",
    ".kasse label.kasse-qr-mode:has(:checked){border:2px solid var(--k-accent);font-weight:600}",
    ".kasse .kasse-qr-mode input{width:auto;margin:0;accent-color:var(--k-accent)}",
    ".kasse-qr-row{display:flex;flex-wrap:wrap;align-items:center;justify-content:center;gap:4px 16px}",
    ".kasse-qr-row .kasse-qr{margin:8px 0}",
    ".kasse-facts{margin:0;display:grid;gap:6px}",
    ".kasse-facts dt,.kasse-receipt dt{font-size:13px;color:var(--k-muted)}",
    ".kasse-facts dd{margin:0;font-size:20px;font-weight:700;display:flex;align-items:center;gap:6px}",
    // "Already paid?" and the receipt.
    ".kasse-paid-already{margin-top:12px;border-top:1px solid var(--k-border);padding-top:8px}",
    ".kasse-paid-already summary{cursor:pointer;font-weight:600}",
    ".kasse-check-form input{font-family:ui-monospace,monospace;font-size:13px}",
    ".kasse-receipt{border:1px solid var(--k-border);border-radius:8px;padding:8px 12px;margin:12px 0}",
    ".kasse-receipt h3{font-size:16px;margin:4px 0 8px}",
    ".kasse-receipt dl{margin:0 0 8px;display:grid;gap:6px}",
    ".kasse-receipt dl>div{display:grid;grid-template-columns:minmax(6em,auto) 1fr;column-gap:8px}",
    ".kasse-receipt dd{grid-column:2;margin:0;display:flex;flex-wrap:wrap;align-items:center;gap:6px}",
    ".kasse-tx{display:flex;flex-wrap:wrap;gap:6px;width:100%}",
    ".kasse-print-only{display:none}",
    // On paper, a receipt alone, black on white: no controls, links, codes or marks.
    "@media print{.kasse-root[data-theme]{--k-fg:#000;--k-bg:#fff;--k-muted:#000;--k-border:#000}" +
      ".kasse{border:0;max-width:none;padding:0}" +
      ".kasse:has(.kasse-receipt) .kasse-head,.kasse-body:has(.kasse-receipt)>:not(.kasse-receipt),.kasse-links,.kasse-stale," +
      ".kasse button,.kasse a,.kasse-qr,.kasse-qr-modes,.kasse-icon,.kasse-hash{display:none!important}" +
      ".kasse-receipt{border:0;padding:0}.kasse-print-only{display:inline}}",
    "@media (prefers-reduced-motion:reduce){.kasse *{transition:none!important;animation:none!important}}",
  ].join("\n");
  var sheet = null;

  function load() {
    if (!wasm) {
      wasm = import(base + "pkg/kasse_widget.js").then(function (glue) {
        return glue.default({ module_or_path: base + "pkg/kasse_widget_bg.wasm" }).then(function () {
          return glue;
        });
      });
      // A failed load (network, CSP, blocker) is not cached: the next mount tries again.
      wasm.catch(function () { wasm = null; });
    }
    return wasm;
  }

  function styles(shadow) {
    if (shadow.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function") {
      // A constructed sheet needs no 'unsafe-inline' in the merchant's CSP.
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
      }
      shadow.adoptedStyleSheets = [sheet];
    } else {
      var style = document.createElement("style");
      style.textContent = CSS;
      shadow.appendChild(style);
    }
  }

  var PAID = { paid: true, paid_late: true, overpaid: true };

  // The languages Kasse speaks, as the widget's catalogues (`/i18n/{locale}.json`) name them.
  var LOCALES = ["en", "de", "fr", "es", "it", "pt-BR", "nl", "pl", "tr", "ru", "uk", "ja", "ko", "zh-CN", "vi", "id", "ar"];

  /** The first of `tags` (BCP 47) Kasse speaks, by its exact name or its language; else "en". */
  function supported(tags) {
    for (var i = 0; i < tags.length; i++) {
      if (!tags[i]) continue;
      var wanted = String(tags[i]).toLowerCase();
      var language = wanted.split(/[-_]/)[0];
      var exact = LOCALES.filter(function (code) { return code.toLowerCase() === wanted; })[0];
      var same = LOCALES.filter(function (code) { return code.split("-")[0] === language; })[0];
      if (exact || same) return exact || same;
    }
    return "en";
  }

  function mount(element, options) {
    if (!element || !options || typeof options.session !== "string") {
      throw new TypeError("Kasse.mount(element, { session, clientSecret }) needs an element and a session id");
    }
    if (options.provider != null && typeof options.provider.request !== "function") {
      throw new TypeError("Kasse.mount: provider must be an EIP-1193 provider, with a request() method");
    }
    var theme = options.theme || {};
    var vars = { accent: "--kasse-accent", radius: "--kasse-radius", font: "--kasse-font" };
    Object.keys(vars).forEach(function (key) {
      if (theme[key]) element.style.setProperty(vars[key], String(theme[key]));
    });
    // Mounting again on the same element replaces the widget that was there.
    if (element.kasse && typeof element.kasse.unmount === "function") element.kasse.unmount();
    var shadow = element.shadowRoot || element.attachShadow({ mode: "open" });
    shadow.replaceChildren();
    styles(shadow);
    var root = document.createElement("div");
    root.className = "kasse-root";
    root.setAttribute("data-theme", theme.mode || "light");
    // Until the WebAssembly runs, and if it cannot: never an empty box. An ellipsis reads
    // the same in every language; the widget says "Loading" in the shopper's own.
    var pending = document.createElement("p");
    pending.className = "kasse kasse-muted";
    pending.setAttribute("aria-busy", "true");
    pending.textContent = "…";
    root.appendChild(pending);
    shadow.appendChild(root);

    var handle = { session: options.session, status: null, unmounted: false, inner: null };
    var paidOnce = false;
    var expiredOnce = false;
    function onStatus(status) {
      if (handle.unmounted) return;
      handle.status = status;
      element.dispatchEvent(new CustomEvent("kasse:status", {
        bubbles: true,
        composed: true,
        detail: { session: options.session, status: status },
      }));
      if (options.onStatus) options.onStatus(status);
      if (PAID[status] && !paidOnce && options.onPaid) {
        paidOnce = true;
        options.onPaid(status);
      }
      if (status === "expired" && !expiredOnce && options.onExpired) {
        expiredOnce = true;
        options.onExpired();
      }
    }
    // The language the widget shows, once it shows it: a page around it (the hosted page)
    // can follow.
    function onLocale(locale, rtl) {
      if (handle.unmounted) return;
      handle.locale = locale;
      element.dispatchEvent(new CustomEvent("kasse:locale", {
        bubbles: true,
        composed: true,
        detail: { session: options.session, locale: locale, dir: rtl ? "rtl" : "ltr" },
      }));
    }
    var apiBase = (options.apiBase || base).replace(/\/$/, "");
    // The first read of the view starts now, beside the wasm's download, not after it: the
    // widget takes this answer instead of asking again. The hosted page starts it sooner
    // still, as the page arrives, and hands it over as `firstView`.
    var firstView = options.firstView instanceof Promise ? options.firstView
      : fetch(apiBase + "/v1/public/checkout_sessions/" + encodeURIComponent(options.session), {
        headers: { "Kasse-Client-Secret": options.clientSecret || "" },
      });
    firstView.catch(function () {});
    handle.ready = load().then(function (glue) {
      if (handle.unmounted) return handle;
      root.replaceChildren();
      handle.inner = glue.mount(root, options.session, options.clientSecret || "", apiBase, onStatus,
        options.redirectOnSuccess === true, options.locale || "", onLocale,
        options.provider || undefined, String(options.providerName || ""), firstView);
      return handle;
    }, function (error) {
      if (handle.unmounted) return handle;
      // The hosted page needs nothing from this page: offer it.
      var box = document.createElement("div");
      box.className = "kasse";
      box.setAttribute("role", "alert");
      var text = document.createElement("p");
      text.textContent = "This checkout could not start here.";
      var link = document.createElement("a");
      link.className = "kasse-button";
      link.href = apiBase + "/c/" + encodeURIComponent(options.session) + "#" + encodeURIComponent(options.clientSecret || "");
      link.textContent = "Open the payment page";
      box.append(text, link);
      root.replaceChildren(box);
      // The same in the shopper's language once its catalogue arrives: the mount option's,
      // else the session's, else the browser's.
      firstView.then(function (response) { return response.ok ? response.json() : {}; }).catch(function () { return {}; })
        .then(function (view) {
          var locale = supported([options.locale, view.locale].concat(navigator.languages || [navigator.language]));
          if (locale === "en") return null;
          return fetch(apiBase + "/i18n/" + locale + ".json").then(function (r) { return r.json(); }).then(function (texts) {
            if (!texts.loader_failed || !texts.loader_open_page || handle.unmounted) return;
            box.lang = locale;
            box.dir = locale === "ar" ? "rtl" : "ltr";
            text.textContent = texts.loader_failed;
            link.textContent = texts.loader_open_page;
          });
        }).catch(function () {});
      handle.error = error;
      return handle;
    });
    handle.unmount = function () {
      if (handle.unmounted) return;
      handle.unmounted = true;
      if (handle.inner) {
        handle.inner.unmount();
        handle.inner.free();
        handle.inner = null;
      }
      shadow.replaceChildren();
      element.removeAttribute("data-kasse-mounted");
      if (element.kasse === handle) element.kasse = undefined;
    };
    element.kasse = handle;
    return handle;
  }

  function mountAll() {
    var nodes = document.querySelectorAll("[data-kasse-session]:not([data-kasse-mounted])");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      el.setAttribute("data-kasse-mounted", "");
      mount(el, {
        session: el.getAttribute("data-kasse-session"),
        clientSecret: el.getAttribute("data-kasse-secret"),
        theme: { mode: el.getAttribute("data-kasse-theme") || undefined },
        locale: el.getAttribute("data-kasse-locale") || undefined,
      });
    }
  }

  window.Kasse = { mount: mount, load: load, mountAll: mountAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  } else {
    mountAll();
  }
})();

// The refund claim page: /r/{refund_id}#{claim_secret}. The shop sends this link to the
// shopper, who gives the address the refund should go to. The page moves no money: it
// shows the refund and stores the address once; the shop then sends the refund.
//
// The secret lives in the fragment, which browsers never send to a server. It is read once,
// removed from the address bar (so it stays out of history and screenshots) and kept in
// this tab's sessionStorage, so a reload still shows the refund.
//
// It speaks the first of the browser's languages Kasse has a catalogue for (`claim_…` keys),
// else English; amounts are written with that language's separators.

import { browserLocale, speak, textsOf } from "/locale.js";

/** The shopper's texts (`claim_…` keys of the catalogues), set before anything is shown. */
let texts;

const t = (key, values) => texts.t(`claim_${key}`, values);

/** An element with attributes and children (strings become text, never markup). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

const root = document.getElementById("refund");

function show(screen, ...children) {
  root.dataset.refundScreen = screen;
  root.replaceChildren(...children.filter((c) => c != null));
}

function showMessage(screen, title, body, action) {
  const heading = el("h1", { tabindex: "-1" }, title);
  show(screen, heading, body ? el("p", {}, body) : null, action);
  return heading;
}

/** The refund's id and claim secret from the URL, or null when the link is not one. */
function readLink() {
  const match = location.pathname.match(/^\/r\/(re_(?:test|live)_[A-Za-z0-9]+)$/);
  if (!match) return null;
  const id = match[1];
  const storageKey = `kasse-claim:${id}`;
  let secret = location.hash.length > 1 ? decodeURIComponent(location.hash.slice(1)) : null;
  if (secret) {
    history.replaceState(null, "", location.pathname + location.search);
    try {
      sessionStorage.setItem(storageKey, secret);
    } catch {
      // Storage may be off; the page still works until it is reloaded.
    }
  } else {
    try {
      secret = sessionStorage.getItem(storageKey);
    } catch {
      secret = null;
    }
  }
  return secret ? { id, secret } : null;
}

/** One call to the refund's public routes; resolves to { status, body }. */
async function call(link, method, suffix = "", json) {
  const headers = { "kasse-claim-secret": link.secret };
  if (json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`/v1/public/refunds/${encodeURIComponent(link.id)}${suffix}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
    cache: "no-store",
    credentials: "omit",
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return { status: response.status, body };
}

/** The amount (written the shopper's way; `data-amount` keeps the exact one), token and
 * network, large. */
function amountBox(claim) {
  return el(
    "p",
    { class: "amount" },
    el("span", { class: "value", "data-amount": claim.amount_formatted }, `${texts.number(claim.amount_formatted)} ${claim.token}`),
    el("span", { class: "network" }, t("on_network", { network: claim.chain })),
  );
}

function header(claim) {
  const shop = claim.merchant.display_name;
  document.title = `${t("title", { shop })} · Kasse`;
  const parts = [el("h1", { tabindex: "-1" }, t("title", { shop }))];
  if (claim.id.startsWith("re_test_")) parts.push(el("p", { class: "test-mode" }, t("test_mode")));
  parts.push(amountBox(claim));
  return parts;
}

/** A refund that has its address, or is over: where it stands. */
function showState(claim, { focus = false } = {}) {
  const [titleKey, bodyKey, next] = {
    pending: ["pending_title", "pending_body", "pending_next"],
    succeeded: ["succeeded_title", "succeeded_body", null],
    canceled: ["canceled_title", "canceled_body", null],
    failed: ["failed_title", "failed_body", null],
  }[claim.status] || ["failed_title", "failed_body", null];
  const box = el(
    "section",
    { class: "state", role: "status", "aria-labelledby": "state-title" },
    el("h2", { id: "state-title", tabindex: "-1" }, t(titleKey)),
    el("p", {}, t(bodyKey)),
  );
  if (claim.address && (claim.status === "pending" || claim.status === "succeeded")) {
    box.append(el("p", { class: "address", "data-refund-address": "" }, claim.address));
  }
  if (next) box.append(el("p", {}, t(next)));
  show(claim.status, ...header(claim), box);
  if (focus) box.querySelector("h2").focus();
}

/** Why the address was refused: the server says it precisely, in English; in another
 * language the page says what an address on this network looks like. */
function addressRefusal(error, claim) {
  return texts.locale === "en" && error.message ? error.message : t("address_invalid", { network: claim.chain });
}

function showForm(link, claim) {
  const error = el("p", { class: "error", role: "alert", id: "address-error" });
  const input = el("input", {
    type: "text",
    id: "address",
    name: "address",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    inputmode: "text",
    "aria-describedby": "address-hint",
    required: true,
  });
  const confirm = el("input", { type: "checkbox", id: "confirm", name: "confirm" });
  const button = el("button", { type: "submit" }, t("submit"));
  const form = el(
    "form",
    { novalidate: true },
    el(
      "div",
      { class: "field" },
      el("label", { for: "address" }, t("address_label", { network: claim.chain })),
      input,
      el("p", { class: "hint", id: "address-hint" }, t("address_hint", { network: claim.chain })),
    ),
    el("p", { class: "warning" }, t("exchange_warning")),
    el("label", { class: "confirm", for: "confirm" }, confirm, el("span", {}, t("confirm_label"))),
    error,
    button,
  );
  const refuse = (message, field) => {
    error.textContent = message;
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  };
  input.addEventListener("input", () => input.removeAttribute("aria-invalid"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!confirm.checked) return refuse(t("need_confirm"), confirm);
    button.disabled = true;
    button.textContent = t("submitting");
    try {
      const answer = await call(link, "POST", "/address", { address: input.value.trim() });
      if (answer.status === 200 && answer.body?.object === "refund_claim") return showState(answer.body, { focus: true });
      // Someone gave the address already (another tab, the shop): show where it stands.
      if (answer.status === 409) return load(link, { focus: true });
      const refused = answer.body?.error;
      if (refused?.param === "address") refuse(addressRefusal(refused, claim), input);
      else refuse(t("send_failed"));
    } catch {
      refuse(t("send_failed"));
    }
    button.disabled = false;
    button.textContent = t("submit");
  });
  show("form", ...header(claim), el("p", { class: "lead" }, t("lead")), form);
}

/** Shows the refund; `first` is an answer already asked for, if any. */
async function load(link, options = {}, first = call(link, "GET")) {
  let answer;
  try {
    answer = await first;
  } catch {
    answer = null;
  }
  if (answer && (answer.status === 401 || answer.status === 404)) {
    showMessage("invalid", t("invalid_title"), t("invalid_body"));
    return;
  }
  if (!answer || answer.status !== 200 || answer.body?.object !== "refund_claim") {
    const retry = el("button", { type: "button" }, t("retry"));
    retry.addEventListener("click", () => load(link, { focus: true }));
    showMessage("error", t("load_failed"), "", retry);
    return;
  }
  if (answer.body.status === "requires_address") showForm(link, answer.body);
  else showState(answer.body, options);
}

const link = readLink();
// The refund is asked for while the texts load.
const first = link ? call(link, "GET") : null;
first?.catch(() => {});
texts = await textsOf(browserLocale());
speak(texts);
document.title = `${t("page_title")} · Kasse`;
if (link) {
  show("loading", el("p", {}, t("loading")));
  load(link, {}, first);
} else {
  showMessage("invalid", t("invalid_title"), t("invalid_body"));
}

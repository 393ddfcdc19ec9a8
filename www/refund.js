// The refund claim page: /r/{refund_id}#{claim_secret}. The shop sends this link to the
// shopper, who gives the address the refund should go to. The page moves no money: it
// shows the refund and stores the address once; the shop then sends the refund.
//
// The secret lives in the fragment, which browsers never send to a server. It is read once,
// removed from the address bar (so it stays out of history and screenshots) and kept in
// this tab's sessionStorage, so a reload still shows the refund.

/** Every string the shopper reads, per language. Add a language by adding a table with the
 * same keys; `{name}` is replaced by the value of the same name. */
const STRINGS = {
  en: {
    pageTitle: "Refund",
    loading: "Loading your refund…",
    loadFailed: "We could not load this refund. Check your connection and try again.",
    retry: "Try again",
    invalidTitle: "This refund link is not valid",
    invalidBody: "Open the whole link from the shop's message, or ask the shop for a new one.",
    title: "Refund from {shop}",
    testMode: "Test mode: no real funds move.",
    onNetwork: "on {network}",
    lead: "Enter the address where you want to receive this refund.",
    addressLabel: "Your address on {network}",
    addressHint: "It starts with 0x. Only an address on {network} can receive this refund.",
    exchangeWarning:
      "Exchange deposit addresses may not credit refunds. Use a wallet you control, or ask your exchange first.",
    confirmLabel: "I checked this address; refunds cannot be reversed",
    submit: "Confirm address",
    submitting: "Saving…",
    needConfirm: "Tick the box to confirm that you checked the address.",
    sendFailed: "We could not reach the server. Check your connection and try again.",
    pendingTitle: "Address confirmed",
    pendingBody: "The shop will send your refund to this address:",
    pendingNext: "You can close this page. Open the link again to see when the refund has been sent.",
    succeededTitle: "Refund sent",
    succeededBody: "The refund was sent to this address:",
    canceledTitle: "This refund was canceled",
    canceledBody: "The shop canceled this refund. If you have questions, contact the shop.",
    failedTitle: "This refund did not go through",
    failedBody: "The shop's transaction failed, so nothing was sent. Please contact the shop.",
  },
  de: {
    pageTitle: "Erstattung",
    loading: "Ihre Erstattung wird geladen…",
    loadFailed: "Die Erstattung konnte nicht geladen werden. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
    retry: "Erneut versuchen",
    invalidTitle: "Dieser Erstattungslink ist ungültig",
    invalidBody: "Öffnen Sie den vollständigen Link aus der Nachricht des Shops, oder bitten Sie den Shop um einen neuen.",
    title: "Erstattung von {shop}",
    testMode: "Testmodus: Es wird kein echtes Geld bewegt.",
    onNetwork: "im Netzwerk {network}",
    lead: "Geben Sie die Adresse ein, an die diese Erstattung gehen soll.",
    addressLabel: "Ihre Adresse im Netzwerk {network}",
    addressHint: "Sie beginnt mit 0x. Nur eine Adresse im Netzwerk {network} kann diese Erstattung empfangen.",
    exchangeWarning:
      "Einzahlungsadressen von Börsen schreiben Erstattungen unter Umständen nicht gut. Nutzen Sie eine eigene Wallet, oder fragen Sie zuerst Ihre Börse.",
    confirmLabel: "Ich habe diese Adresse geprüft; Erstattungen lassen sich nicht rückgängig machen",
    submit: "Adresse bestätigen",
    submitting: "Wird gespeichert…",
    needConfirm: "Bitte bestätigen Sie mit dem Häkchen, dass Sie die Adresse geprüft haben.",
    sendFailed: "Der Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
    pendingTitle: "Adresse bestätigt",
    pendingBody: "Der Shop sendet Ihre Erstattung an diese Adresse:",
    pendingNext: "Sie können diese Seite schließen. Öffnen Sie den Link erneut, um zu sehen, wann die Erstattung gesendet wurde.",
    succeededTitle: "Erstattung gesendet",
    succeededBody: "Die Erstattung wurde an diese Adresse gesendet:",
    canceledTitle: "Diese Erstattung wurde storniert",
    canceledBody: "Der Shop hat diese Erstattung storniert. Bei Fragen wenden Sie sich an den Shop.",
    failedTitle: "Diese Erstattung ist fehlgeschlagen",
    failedBody: "Die Transaktion des Shops ist fehlgeschlagen; es wurde nichts gesendet. Bitte wenden Sie sich an den Shop.",
  },
};

/** The first of the browser's languages we have strings for (English otherwise). */
function pickLanguage(wanted) {
  for (const tag of wanted) {
    const primary = String(tag).toLowerCase().split("-")[0];
    if (Object.hasOwn(STRINGS, primary)) return primary;
  }
  return "en";
}

const language = pickLanguage(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"]);
const strings = STRINGS[language];

function t(key, values = {}) {
  return strings[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

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

/** The amount, token and network, large. */
function amountBox(claim) {
  return el(
    "p",
    { class: "amount" },
    el("span", { class: "value" }, `${claim.amount_formatted} ${claim.token}`),
    el("span", { class: "network" }, t("onNetwork", { network: claim.chain })),
  );
}

function header(claim) {
  const shop = claim.merchant.display_name;
  document.title = `${t("title", { shop })} · Kasse`;
  const parts = [el("h1", { tabindex: "-1" }, t("title", { shop }))];
  if (claim.id.startsWith("re_test_")) parts.push(el("p", { class: "test-mode" }, t("testMode")));
  parts.push(amountBox(claim));
  return parts;
}

/** A refund that has its address, or is over: where it stands. */
function showState(claim, { focus = false } = {}) {
  const [titleKey, bodyKey, next] = {
    pending: ["pendingTitle", "pendingBody", "pendingNext"],
    succeeded: ["succeededTitle", "succeededBody", null],
    canceled: ["canceledTitle", "canceledBody", null],
    failed: ["failedTitle", "failedBody", null],
  }[claim.status] || ["failedTitle", "failedBody", null];
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
      el("label", { for: "address" }, t("addressLabel", { network: claim.chain })),
      input,
      el("p", { class: "hint", id: "address-hint" }, t("addressHint", { network: claim.chain })),
    ),
    el("p", { class: "warning" }, t("exchangeWarning")),
    el("label", { class: "confirm", for: "confirm" }, confirm, el("span", {}, t("confirmLabel"))),
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
    if (!confirm.checked) return refuse(t("needConfirm"), confirm);
    button.disabled = true;
    button.textContent = t("submitting");
    try {
      const answer = await call(link, "POST", "/address", { address: input.value.trim() });
      if (answer.status === 200 && answer.body?.object === "refund_claim") return showState(answer.body, { focus: true });
      // Someone gave the address already (another tab, the shop): show where it stands.
      if (answer.status === 409) return load(link, { focus: true });
      refuse(answer.body?.error?.message || t("sendFailed"), answer.body?.error?.param === "address" ? input : null);
    } catch {
      refuse(t("sendFailed"));
    }
    button.disabled = false;
    button.textContent = t("submit");
  });
  show("form", ...header(claim), el("p", { class: "lead" }, t("lead")), form);
}

async function load(link, options = {}) {
  let answer;
  try {
    answer = await call(link, "GET");
  } catch {
    answer = null;
  }
  if (answer && (answer.status === 401 || answer.status === 404)) {
    showMessage("invalid", t("invalidTitle"), t("invalidBody"));
    return;
  }
  if (!answer || answer.status !== 200 || answer.body?.object !== "refund_claim") {
    const retry = el("button", { type: "button" }, t("retry"));
    retry.addEventListener("click", () => load(link, { focus: true }));
    showMessage("error", t("loadFailed"), "", retry);
    return;
  }
  if (answer.body.status === "requires_address") showForm(link, answer.body);
  else showState(answer.body, options);
}

document.documentElement.lang = language;
document.title = `${t("pageTitle")} · Kasse`;
const link = readLink();
if (link) {
  show("loading", el("p", {}, t("loading")));
  load(link);
} else {
  showMessage("invalid", t("invalidTitle"), t("invalidBody"));
}

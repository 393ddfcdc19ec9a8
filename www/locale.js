// The shopper's language on Kasse's own pages (the hosted checkout, the refund claim page),
// by the rule the widget and the link page follow, with the catalogues the widget reads:
// /i18n/{locale}.json, a flat object of key → text.
//
// English is not compiled in here: en.json is fetched beside the shopper's catalogue, so
// the English a page shows is always the one translators translated, never a second copy
// that could drift from it. It costs one small, cacheable request.

/** Every locale with a catalogue, English first (as the Rust side's `locale::SUPPORTED`). */
export const SUPPORTED = ["en", "de", "fr", "es", "it", "pt-BR", "nl", "pl", "tr", "ru", "uk", "ja", "ko", "zh-CN", "vi", "id", "ar"];

const RIGHT_TO_LEFT = ["ar"];

/**
 * The supported locale that best serves a reader of the BCP 47 tag `tag`: the locale it
 * names (any case), else the one of its language (`de-AT` → `de`, `pt-PT` → `pt-BR`),
 * else null.
 */
export function matching(tag) {
  const wanted = String(tag).trim().toLowerCase();
  const exact = SUPPORTED.find((code) => code.toLowerCase() === wanted);
  if (exact) return exact;
  const language = wanted.split(/[-_]/)[0];
  if (!language) return null;
  return SUPPORTED.find((code) => code.split("-")[0].toLowerCase() === language) || null;
}

/** The first of the browser's languages Kasse speaks, else English. */
export function browserLocale() {
  const tags = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
  for (const tag of tags) {
    const code = matching(tag);
    if (code) return code;
  }
  return "en";
}

async function catalogue(locale) {
  const response = await fetch(`/i18n/${locale}.json`, { credentials: "omit" });
  if (!response.ok) throw new Error(`/i18n/${locale}.json answered ${response.status}`);
  return response.json();
}

/**
 * The texts of `locale`, English where its catalogue lacks a key; English altogether when
 * its catalogue cannot be read. `t(key, values)` fills `{name}` placeholders; `number`
 * writes a decimal (`1234.5`, as the API sends it) with the locale's separators, every
 * digit kept: what is shown, never what is copied or sent.
 */
export async function textsOf(locale) {
  const [english, own] = await Promise.all([
    catalogue("en").catch(() => ({})),
    locale === "en" ? null : catalogue(locale).catch(() => null),
  ]);
  const shown = own ? locale : "en";
  const byKey = { ...english, ...own };
  const t = (key, values = {}) =>
    String(byKey[key] ?? key).replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(values, name) ? String(values[name]) : whole));
  const number = (decimal) => {
    const text = String(decimal);
    const [whole, fraction] = text.split(".");
    if (!/^\d+$/.test(whole) || (fraction !== undefined && !/^\d+$/.test(fraction))) return text;
    const grouped = whole.replace(/\B(?=(\d{3})+$)/g, t("number_group"));
    return fraction === undefined ? grouped : `${grouped}${t("number_decimal")}${fraction}`;
  };
  return { locale: shown, dir: RIGHT_TO_LEFT.includes(shown) ? "rtl" : "ltr", t, number };
}

/** Sets the document's language and direction to those of `texts`. */
export function speak(texts) {
  document.documentElement.lang = texts.locale;
  document.documentElement.dir = texts.dir;
}

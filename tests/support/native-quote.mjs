// A native-coin quote worked out in the tests themselves, with BigInt, from the feed's price:
// the fiat amount at that price rounded up to the base unit (`exact`), then rounded up again
// to the fewest fraction digits whose rounding is worth less than one cent (`short`, what the
// session asks for). Kept apart from the worker's code so the suites check it, not copy it.

const ceilDiv = (a, b) => (a + b - 1n) / b;

/** `cents` (BigInt) of USD in a coin of `decimals`, at `price` with `feedDecimals`. */
export function nativeQuote(cents, price, { decimals = 18n, feedDecimals = 8n } = {}) {
  const oneDollar = 10n ** (decimals + feedDecimals);
  const exact = ceilDiv(cents * oneDollar, price * 100n);
  for (let digits = 0n; digits <= decimals; digits++) {
    const step = 10n ** (decimals - digits);
    const short = ceilDiv(exact, step) * step;
    // (short − exact) coins × price dollars per coin < 1/100 dollar, in integers.
    if ((short - exact) * price * 100n < oneDollar) return { exact, short };
  }
  return { exact, short: exact };
}

/** Base units as whole coins, the way the API writes them: no trailing zeros, no exponent. */
export function written(units, decimals = 18n) {
  const scale = 10n ** decimals;
  const fraction = (units % scale).toString().padStart(Number(decimals), "0").replace(/0+$/, "");
  return fraction ? `${units / scale}.${fraction}` : `${units / scale}`;
}

/** How many fraction digits a whole-coin string has. */
export const fractionDigits = (text) => (text.split(".")[1] ?? "").length;

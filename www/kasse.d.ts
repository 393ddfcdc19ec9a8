// Types for the Kasse widget loader (`<script src="https://YOUR-KASSE/kasse.js" defer>`).

export type KasseStatus =
  | "pending"
  | "detected"
  | "underpaid"
  | "paid"
  | "paid_late"
  | "overpaid"
  | "expired"
  | "canceled"
  | "failed";

export interface KasseTheme {
  /** Buttons, links and focus rings; any CSS color. Same as `--kasse-accent`. */
  accent?: string;
  /** Corner radius of the card, e.g. `"8px"`. Same as `--kasse-radius`. */
  radius?: string;
  /** Font stack. Same as `--kasse-font`. */
  font?: string;
  /** `"auto"` follows `prefers-color-scheme`. Default `"light"`. */
  mode?: "light" | "dark" | "auto";
}

/** The languages the widget speaks. */
export type KasseLocale =
  | "en" | "de" | "fr" | "es" | "it" | "pt-BR" | "nl" | "pl" | "tr"
  | "ru" | "uk" | "ja" | "ko" | "zh-CN" | "vi" | "id" | "ar";

/**
 * The part of an EIP-1193 provider the widget uses. To pay, it asks for `eth_requestAccounts`,
 * `eth_chainId`, `wallet_switchEthereumChain` (when the wallet is on another chain) and
 * `eth_sendTransaction` (a transfer the checkout prepared), in that order.
 */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
}

export interface KasseMountOptions {
  /** The checkout session id, `cs_…`. */
  session: string;
  /** The session's `client_secret` (from your server, or from a publishable-key start). */
  clientSecret: string;
  theme?: KasseTheme;
  /**
   * The shopper's language; wins over the session's `locale`, which wins over the browser's
   * languages; English when none is spoken. A regional tag is matched to its language
   * (`de-AT` → `de`). Same as `data-kasse-locale`.
   */
  locale?: KasseLocale | string;
  /**
   * Your own wallet connection, an EIP-1193 provider: the widget shows one button, "Pay with
   * {providerName}" (or "Pay with browser wallet" without a name), that pays with it, and
   * offers no other browser wallet. Without it, the widget lists every wallet the browser
   * announces (EIP-6963) by name and icon, else offers `window.ethereum`.
   *
   * @example WalletConnect, with your own project id (cloud.reown.com) and
   * `npm i @walletconnect/ethereum-provider @walletconnect/modal`:
   * ```ts
   * import { EthereumProvider } from "@walletconnect/ethereum-provider";
   *
   * const walletConnect = await EthereumProvider.init({
   *   projectId: "YOUR_PROJECT_ID",
   *   chains: [1], // the chain ids your checkout offers
   *   showQrModal: true,
   * });
   * // WalletConnect answers requests once connected: connect (its QR code) when the
   * // shopper clicks the widget's button, not before.
   * const provider = {
   *   async request(args: { method: string; params?: unknown[] | object }) {
   *     if (!walletConnect.session) await walletConnect.connect();
   *     return walletConnect.request(args);
   *   },
   * };
   * Kasse.mount(document.getElementById("pay")!, {
   *   session, clientSecret, provider, providerName: "WalletConnect",
   * });
   * ```
   */
  provider?: Eip1193Provider;
  /** The name on the `provider`'s button: "Pay with {providerName}". */
  providerName?: string;
  /**
   * A read of the session you began yourself, early in your page: the `fetch` of
   * `GET /v1/public/checkout_sessions/{session}` with the header `Kasse-Client-Secret`. The
   * widget takes its answer instead of reading again. Without it, `mount` begins the read
   * while the widget's WebAssembly downloads.
   */
  firstView?: Promise<Response>;
  /** Every status the widget shows, the first one included. */
  onStatus?: (status: KasseStatus) => void;
  /** Once, when the session is paid, paid late or overpaid. Confirm on your server (webhook). */
  onPaid?: (status: "paid" | "paid_late" | "overpaid") => void;
  /** Once, when the session expires. */
  onExpired?: () => void;
  /** Follow `success_url` after a payment (the hosted page does). Default false. */
  redirectOnSuccess?: boolean;
  /** The Kasse deployment; defaults to where kasse.js was loaded from. */
  apiBase?: string;
}

export interface KasseHandle {
  readonly session: string;
  /** The last status shown, or null before the first load. */
  readonly status: KasseStatus | null;
  /** The language shown, once the widget shows one. */
  readonly locale?: KasseLocale;
  /** Resolves once the widget's WebAssembly is running. */
  readonly ready: Promise<KasseHandle>;
  /** Removes the widget; its timers, requests and listeners stop. */
  unmount(): void;
}

export interface KasseStatusDetail {
  session: string;
  status: KasseStatus;
}

export interface KasseLocaleDetail {
  session: string;
  locale: KasseLocale;
  dir: "ltr" | "rtl";
}

export interface Kasse {
  mount(element: HTMLElement, options: KasseMountOptions): KasseHandle;
  /** Mounts every `[data-kasse-session]` element not mounted yet (runs on load by itself). */
  mountAll(): void;
  /** Loads the WebAssembly ahead of time. */
  load(): Promise<unknown>;
}

declare global {
  interface Window {
    Kasse: Kasse;
  }
  interface HTMLElementEventMap {
    /** Bubbles from the mounted element; `composed`, so it leaves shadow roots too. */
    "kasse:status": CustomEvent<KasseStatusDetail>;
    /** The language the widget shows, each time it changes (the hosted page follows it). */
    "kasse:locale": CustomEvent<KasseLocaleDetail>;
  }
}

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

export interface KasseMountOptions {
  /** The checkout session id, `cs_…`. */
  session: string;
  /** The session's `client_secret` (from your server, or from a publishable-key start). */
  clientSecret: string;
  theme?: KasseTheme;
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
  /** Resolves once the widget's WebAssembly is running. */
  readonly ready: Promise<KasseHandle>;
  /** Removes the widget; its timers, requests and listeners stop. */
  unmount(): void;
}

export interface KasseStatusDetail {
  session: string;
  status: KasseStatus;
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
  }
}

/**
 * The --debug view of one Hetzner exchange, like hcloud's --debug but redacted: a summary line with method,
 * path, status, duration and the correlation id Hetzner returns (quote it to Hetzner support), then the
 * request and response bodies. Bodies never carry the token (scrubbed here, and again by the Redactor
 * at the output, which also knows the forwarded env values); user_data (it holds the box's host private
 * key) is blanked, public keys are shortened, passwords and anything key-like are replaced. Bodies are
 * cut by whole array items, never mid-string, so the Redactor downstream always sees whole values.
 */

export interface DebugExchange {
  method: string;
  /** Path plus query, as sent. */
  path: string;
  /** null when no answer came (network failure, timeout). */
  status: number | null;
  durationMs: number;
  correlationId: string | null;
  /** What the failure was, when status is null. */
  failure?: string;
  /** The JSON body sent, if any. */
  requestBody?: unknown;
  /** The parsed JSON answer (null for an empty body), or a description of an unreadable one. */
  responseBody?: unknown;
}

/** Items shown per array (a page of 50 servers would bury the lines around it). */
export const DEBUG_ARRAY_ITEMS = 3;

/** Keys whose values are replaced whole (root_password of a keyless create, anything token-like). */
const SECRET_KEY = /password|secret|token|private_key|authorization/i;
const PRIVATE_KEY_TEXT = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

export function debugLines(exchange: DebugExchange, scrub: (text: string) => string = (t) => t): string[] {
  const correlation = exchange.correlationId ? ` (correlation ${exchange.correlationId})` : "";
  const outcome = exchange.status === null
    ? `failed after ${exchange.durationMs}ms${exchange.failure ? `: ${exchange.failure}` : ""}`
    : `${exchange.status} ${exchange.durationMs}ms`;
  const lines = [`hetzner ${exchange.method} ${exchange.path} ${outcome}${correlation}`];
  if (exchange.requestBody !== undefined) lines.push(`  request ${bodyText(exchange.requestBody)}`);
  if (exchange.responseBody !== undefined && exchange.responseBody !== null) {
    lines.push(`  response ${bodyText(exchange.responseBody)}`);
  }
  return lines.map(scrub);
}

function bodyText(body: unknown): string {
  return typeof body === "string" ? redactString(body) : JSON.stringify(redactBody(body));
}

/** A copy of a JSON value with secrets replaced and long arrays cut to DEBUG_ARRAY_ITEMS items. */
export function redactBody(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    if (key === "user_data") return `<user_data: ${new TextEncoder().encode(value).length} bytes, redacted>`;
    if (key === "public_key") return shortenPublicKey(value);
    return redactString(value);
  }
  if (Array.isArray(value)) {
    const shown = value.slice(0, DEBUG_ARRAY_ITEMS).map((item) => redactBody(item, key));
    const more = value.length - shown.length;
    return more > 0 ? [...shown, `… ${more} more`] : shown;
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, v !== null && SECRET_KEY.test(k) ? "***" : redactBody(v, k)]),
    );
  }
  return value;
}

function redactString(text: string): string {
  return PRIVATE_KEY_TEXT.test(text) ? "<private key, redacted>" : text;
}

/** `ssh-ed25519 AAAA…(comment)` → `ssh-ed25519 …last8`: enough to tell keys apart, no user@host comment. */
export function shortenPublicKey(key: string): string {
  const [type, blob] = key.trim().split(/\s+/);
  if (!blob) return "<public key>";
  return `${type} …${blob.slice(-8)}`;
}

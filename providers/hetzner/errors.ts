/** Hetzner API errors: Hetzner's code, the HTTP status and the correlation id; never the token. */
import { CrabboxError } from "../../core/errors.ts";

export interface HetznerErrorFields {
  method: string;
  /** Path without the query string. */
  path: string;
  /** 0 for network errors and timeouts (no HTTP answer). */
  status: number;
  /** Hetzner's error code, or ours: bad_response, network_error, timeout. */
  code: string;
  /** Hetzner's own message (already scrubbed of credentials). */
  message: string;
  details: unknown;
  correlationId: string | null;
  retryAfterMs: number | null;
}

const AUTH_CODES = new Set(["unauthorized", "token_readonly", "forbidden"]);

export class HetznerApiError extends Error implements Omit<HetznerErrorFields, "message"> {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly code: string;
  /** Hetzner's message alone; `message` is the rendered one-line form. */
  readonly apiMessage: string;
  readonly details: unknown;
  readonly correlationId: string | null;
  readonly retryAfterMs: number | null;

  constructor(fields: HetznerErrorFields) {
    super(renderHetznerError(fields));
    this.name = "HetznerApiError";
    this.method = fields.method;
    this.path = fields.path;
    this.status = fields.status;
    this.code = fields.code;
    this.apiMessage = fields.message;
    this.details = fields.details;
    this.correlationId = fields.correlationId;
    this.retryAfterMs = fields.retryAfterMs;
  }

  /** Same error with some fields replaced (e.g. the final "rate limited by Hetzner"). */
  with(changes: Partial<HetznerErrorFields>): HetznerApiError {
    return new HetznerApiError({ ...this.fields(), ...changes });
  }

  fields(): HetznerErrorFields {
    return {
      method: this.method,
      path: this.path,
      status: this.status,
      code: this.code,
      message: this.apiMessage,
      details: this.details,
      correlationId: this.correlationId,
      retryAfterMs: this.retryAfterMs,
    };
  }

  /**
   * Failures after which a POST may or may not have taken effect: no answer, a 5xx, or a 2xx whose
   * body could not be read.
   */
  get ambiguous(): boolean {
    return this.status === 0 || this.status >= 500 ||
      (this.status >= 200 && this.status < 300 && this.code === "bad_response");
  }

  toCrabboxError(): CrabboxError {
    return toCrabboxError(this);
  }
}

/** `hetzner POST /servers: 403 resource_limit_exceeded: project limit exceeded (correlation 9f2c…)` */
function renderHetznerError(fields: HetznerErrorFields): string {
  const status = fields.status ? `${fields.status} ` : "";
  const correlation = fields.correlationId ? ` (correlation ${fields.correlationId})` : "";
  return `hetzner ${fields.method} ${fields.path}: ${status}${fields.code}: ${fields.message}${correlation}`;
}

/** 401/403 auth codes → 3, 404 → 4, everything else (quota, capacity, retries exhausted, 5xx) → 8. */
function toCrabboxError(error: HetznerApiError): CrabboxError {
  if (error.status === 401 || (error.status === 403 && AUTH_CODES.has(error.code))) {
    return new CrabboxError("auth", error.message, {
      hint: "check HCLOUD_TOKEN is a read/write token of the right project",
      cause: error,
    });
  }
  if (error.status === 404) {
    return new CrabboxError("not_found", error.message, {
      hint: "run 'crabbox list' to see your boxes",
      cause: error,
    });
  }
  return new CrabboxError("provider", error.message, { hint: providerHint(error), cause: error });
}

function providerHint(error: HetznerApiError): string {
  if (error.status === 0) return "check the network and HCLOUD_ENDPOINT, then retry";
  if (error.status === 429 || error.code === "rate_limit_exceeded") {
    return "wait a few minutes; Hetzner allows 3600 requests per hour per project";
  }
  if (error.status >= 400 && error.status < 500 && error.status !== 409 && error.status !== 423) {
    return "Hetzner rejected the request; see the message above";
  }
  return "retry later; quote the correlation id if you contact Hetzner support";
}

// SPEC §5.2 classification: the typed code first, then quoted words in message/details.

const CAPACITY_CODES = new Set([
  "resource_unavailable",
  "placement_error",
  "no_space_left_in_location",
  "maintenance",
]);

function searchableText(error: HetznerApiError): string {
  let details = "";
  try {
    details = JSON.stringify(error.details ?? "");
  } catch {
    details = "";
  }
  return `${error.apiMessage} ${details}`.toLowerCase();
}

/** Location capacity → next location for the same type (then next type). */
export function isCapacityError(error: HetznerApiError): boolean {
  const text = searchableText(error);
  return CAPACITY_CODES.has(error.code) || text.includes("location_not_available") ||
    text.includes("server_type_not_available");
}

/** Quota such as dedicated cores → next type, from the first location again. */
export function isQuotaError(error: HetznerApiError): boolean {
  return error.code === "resource_limit_exceeded" && !isServerCountQuota(error);
}

/** A limit on the number of servers (or projects): no fallback helps. */
export function isServerCountQuota(error: HetznerApiError): boolean {
  if (error.code !== "resource_limit_exceeded") return false;
  const text = searchableText(error);
  if (text.includes("dedicated_core_limit") || text.includes("core_limit")) return false;
  const names = limitNames(error.details);
  if (names.some((name) => /^(server|project)s?(_limit|_count)?$/.test(name))) return true;
  return /\b(server|project)s? (limit|count)\b/.test(error.apiMessage.toLowerCase());
}

/** `details.limits[].name`, as in Hetzner's example `{"limits":[{"name":"project_limit"}]}`. */
function limitNames(details: unknown): string[] {
  const limits = (details as { limits?: unknown } | null)?.limits;
  if (!Array.isArray(limits)) return [];
  return limits
    .map((limit) => (limit as { name?: unknown } | null)?.name)
    .filter((name): name is string => typeof name === "string")
    .map((name) => name.toLowerCase());
}

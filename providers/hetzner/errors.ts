/** Hetzner API errors: Hetzner's code, the HTTP status and the correlation id; never the token. */
import { CrabboxError } from "../../core/errors.ts";

export interface HetznerErrorFields {
  method: string;
  path: string;
  /** 0 for network errors and timeouts (no HTTP answer). */
  status: number;
  code: string;
  message: string;
  details: unknown;
  correlationId: string | null;
  retryAfterMs: number | null;
}

export class HetznerApiError extends Error implements HetznerErrorFields {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly correlationId: string | null;
  readonly retryAfterMs: number | null;

  constructor(fields: HetznerErrorFields) {
    const status = fields.status ? `${fields.status} ` : "";
    const correlation = fields.correlationId ? ` (correlation ${fields.correlationId})` : "";
    super(
      `hetzner ${fields.method} ${fields.path}: ${status}${fields.code}: ${fields.message}${correlation}`,
    );
    this.name = "HetznerApiError";
    this.method = fields.method;
    this.path = fields.path;
    this.status = fields.status;
    this.code = fields.code;
    this.details = fields.details;
    this.correlationId = fields.correlationId;
    this.retryAfterMs = fields.retryAfterMs;
  }

  /** The ambiguous failures after which a POST may or may not have taken effect. */
  get ambiguous(): boolean {
    return this.status === 0 || this.status >= 500;
  }

  toCrabboxError(): CrabboxError {
    if (
      this.status === 401 ||
      this.status === 403 && ["forbidden", "unauthorized", "token_readonly"].includes(this.code)
    ) {
      return new CrabboxError("auth", this.message, {
        hint: "check HCLOUD_TOKEN is a read/write token of the right project",
        cause: this,
      });
    }
    if (this.code === "token_readonly") {
      return new CrabboxError("auth", this.message, { hint: "create a read/write API token", cause: this });
    }
    if (this.status === 404) {
      return new CrabboxError("not_found", this.message, {
        hint: "run 'crabbox list' to see your boxes",
        cause: this,
      });
    }
    const hint = this.status === 0
      ? "check the network and HCLOUD_ENDPOINT, then retry"
      : this.status === 429
      ? "wait a few minutes; Hetzner allows 3600 requests per hour per project"
      : "retry later; quote the correlation id if you contact Hetzner support";
    return new CrabboxError("provider", this.message, { hint, cause: this });
  }
}

function text(error: HetznerApiError): string {
  return `${error.code} ${error.message} ${JSON.stringify(error.details ?? "")}`.toLowerCase();
}

const CAPACITY_CODES = new Set([
  "resource_unavailable",
  "placement_error",
  "no_space_left_in_location",
  "maintenance",
]);

/** SPEC §5.2: location capacity → next location (then next type). */
export function isCapacityError(error: HetznerApiError): boolean {
  const t = text(error);
  return CAPACITY_CODES.has(error.code) || t.includes("location_not_available") ||
    t.includes("server_type_not_available");
}

/** Quota (e.g. dedicated cores) → next type. */
export function isQuotaError(error: HetznerApiError): boolean {
  return error.code === "resource_limit_exceeded" && !isServerCountQuota(error);
}

/** A limit on the number of servers or projects: no fallback helps. */
export function isServerCountQuota(error: HetznerApiError): boolean {
  if (error.code !== "resource_limit_exceeded") return false;
  const t = text(error);
  return /server limit|servers? count|project limit|"name":"server"|"name":"project"/.test(t) &&
    !t.includes("dedicated_core_limit");
}

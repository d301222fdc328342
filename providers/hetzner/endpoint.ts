/** SPEC §6 base URL rule: https anywhere, or http to loopback only (the local harness). */
import { usageError } from "../../core/errors.ts";

export const DEFAULT_ENDPOINT = "https://api.hetzner.cloud/v1";

const FIX = `unset HCLOUD_ENDPOINT (and hetzner.endpoint) to use ${DEFAULT_ENDPOINT}`;

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** The endpoint to call, trailing "/" trimmed; anything else is a usage error (exit 2). */
export function resolveEndpoint(raw: string | undefined): string {
  const value = (raw ?? "").trim() || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`HCLOUD_ENDPOINT is not a URL: ${value}`, FIX);
  }
  if (url.username || url.password) {
    // Never echo the value: it carries credentials.
    throw usageError(
      "HCLOUD_ENDPOINT must not contain credentials",
      "the token is read from HCLOUD_TOKEN only",
    );
  }
  if (url.search || url.hash) {
    throw usageError(`HCLOUD_ENDPOINT must not have a query or fragment: ${value}`, FIX);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    throw usageError(`HCLOUD_ENDPOINT must use https (http only to loopback): ${value}`, FIX);
  }
  return value.replace(/\/+$/, "");
}

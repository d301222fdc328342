/** Which local variables travel to the box (SPEC §9.4). Values are never printed, only names and states. */
import { isTokenBearingName } from "./secrets.ts";

const NEVER = new Set(["HCLOUD_TOKEN", "HETZNER_TOKEN"]);
const INJECTED = new Set(["CRABBOX_LEASE_ID", "CRABBOX_RUN_ID", "CRABBOX_SLUG", "CRABBOX_JOB"]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A config or flag entry problem, or null: names, or a trailing-* prefix. */
export function allowEntryProblem(entry: string): string | null {
  if (entry === "*") return `"*" would forward everything; list the names (or a PREFIX_*)`;
  const name = entry.endsWith("*") ? entry.slice(0, -1) : entry;
  if (name.includes("*")) return `"${entry}" has a "*" inside; only a trailing "*" (prefix match) is allowed`;
  if (!NAME.test(name)) return `"${entry}" is not a valid environment variable name`;
  return null;
}

export interface ForwardResult {
  forward: Record<string, string>;
  warnings: string[];
}

/**
 * Selects variables set locally that match the allowlist. Prefix patterns never forward token-bearing
 * names; only an exact name chosen by a human (user config or --allow-env) does.
 */
export function selectForwardedEnv(
  allow: string[],
  env: Record<string, string>,
  exactByHuman: Set<string>,
): ForwardResult {
  const forward: Record<string, string> = {};
  const warnings: string[] = [];
  for (const entry of allow) {
    const prefix = entry.endsWith("*") ? entry.slice(0, -1) : null;
    const names = prefix === null
      ? (entry in env ? [entry] : [])
      : Object.keys(env).filter((n) => n.startsWith(prefix));
    for (const name of names.sort()) {
      if (NEVER.has(name) || INJECTED.has(name)) continue;
      if (isTokenBearingName(name) && (prefix !== null || !exactByHuman.has(name))) {
        warnings.push(
          `not forwarding ${name}: it looks like a secret; name it exactly with --allow-env to send it`,
        );
        continue;
      }
      forward[name] = env[name];
    }
  }
  return { forward, warnings };
}

/** `CI=set NODE_OPTIONS=empty`: names and states, never values. */
export function describeForwarded(forward: Record<string, string>, allow: string[]): string {
  const names = Object.keys(forward);
  if (names.length === 0) return `none (allow=${allow.join(",")})`;
  return names.map((n) => `${n}=${forward[n] === "" ? "empty" : "set"}`).join(" ");
}

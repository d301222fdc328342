/**
 * Which local variables travel to the box (SPEC §9.4; docs/security.md). Values are never printed, only
 * names and states.
 */
import { isTokenBearingName } from "./secrets.ts";

const NEVER = new Set(["HCLOUD_TOKEN", "HETZNER_TOKEN"]);
const INJECTED = new Set(["CRABBOX_LEASE_ID", "CRABBOX_RUN_ID", "CRABBOX_SLUG", "CRABBOX_JOB"]);
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A problem with one allowlist entry (a name, or a PREFIX_* pattern), or null. */
export function allowEntryProblem(entry: string): string | null {
  if (entry === "*") return `"*" would forward everything; list the names (or a PREFIX_*)`;
  const name = entry.endsWith("*") ? entry.slice(0, -1) : entry;
  if (name.includes("*")) return `"${entry}" has a "*" inside; only a trailing "*" (prefix match) is allowed`;
  if (!ENV_NAME.test(name)) return `"${entry}" is not a valid environment variable name`;
  return null;
}

/** The allowlist layers of SPEC §9.4 that come from configuration, each null when not set there. */
export interface AllowLayers {
  defaults: string[];
  user: string[] | null;
  repo: string[] | null;
  profile: string[] | null;
  /** CRABBOX_ENV_ALLOW, already split. */
  env: string[] | null;
}

/**
 * defaults; user replaces; repo replaces; the profile appends (skipped when CRABBOX_ENV_ALLOW is set);
 * CRABBOX_ENV_ALLOW replaces. Job and --allow-env entries are appended after these, per run.
 */
export function layerEnvAllow(layers: AllowLayers): string[] {
  if (layers.env !== null) return unique(layers.env);
  const base = layers.repo ?? layers.user ?? layers.defaults;
  return unique([...base, ...(layers.profile ?? [])]);
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

export interface ForwardResult {
  forward: Record<string, string>;
  warnings: string[];
}

/**
 * Selects the locally set variables that match the allowlist. Prefix patterns never forward token-bearing
 * names; only an exact name a human chose (user config or --allow-env) does. HCLOUD_TOKEN/HETZNER_TOKEN
 * and the names crabbox injects are never taken from the local environment.
 */
export function selectForwardedEnv(
  allow: string[],
  env: Record<string, string>,
  human: Set<string> | { exactFromUserOrFlag: Set<string> },
): ForwardResult {
  const exactByHuman = human instanceof Set ? human : human.exactFromUserOrFlag;
  const forward: Record<string, string> = {};
  const warned = new Set<string>();
  const invalid = new Set<string>();
  for (const entry of allow) {
    const prefix = entry.endsWith("*") ? entry.slice(0, -1) : null;
    const names = prefix === null
      ? (Object.hasOwn(env, entry) ? [entry] : [])
      : Object.keys(env).filter((n) => n.startsWith(prefix)).sort();
    for (const name of names) {
      if (NEVER.has(name) || INJECTED.has(name) || name in forward) continue;
      // A local name like `APP_X;echo hi` matches APP_* but would be shell in the env file on the box.
      if (!ENV_NAME.test(name)) {
        invalid.add(name);
        continue;
      }
      if (isTokenBearingName(name) && (prefix !== null || !exactByHuman.has(name))) {
        warned.add(name);
        continue;
      }
      forward[name] = env[name];
    }
  }
  const warnings = [
    ...[...invalid].map((name) =>
      `not forwarding ${
        JSON.stringify(name)
      }: not a valid environment variable name (letters, digits and _, not starting with a digit)`
    ),
    ...[...warned].filter((n) => !(n in forward)).map((name) =>
      `not forwarding ${name}: it looks like a secret; name it exactly in your user config or with --allow-env to send it`
    ),
  ];
  return { forward, warnings };
}

/** `CI=set NODE_OPTIONS=empty`: names and states, never values. */
export function describeForwarded(forward: Record<string, string>, allow: string[]): string {
  const names = Object.keys(forward);
  if (names.length === 0) return `none (allow=${allow.join(",")})`;
  return names.map((n) => `${n}=${forward[n] === "" ? "empty" : "set"}`).join(" ");
}

/**
 * SPEC §9.4 layers: the config's allow list (user, repo, CRABBOX_ENV_ALLOW), then the invocation's own
 * entries (--allow-env, a job's env.allow) appended. `trusted` are the exact names a human chose.
 */
export function forwardWithAppendedAllow(
  env: Record<string, string>,
  configAllow: string[],
  appended: string[],
  trusted: Set<string>,
): ForwardResult & { allow: string[] } {
  const allow = [...configAllow, ...appended];
  return { allow, ...selectForwardedEnv(allow, env, trusted) };
}

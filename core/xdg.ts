/**
 * The XDG base directories crabbox uses, resolved once here (config, state, cache, runtime). A relative or empty
 * value is ignored, as the XDG Base Directory spec requires, and the default under $HOME is used instead.
 */
import { join } from "node:path";
import type { Env, SystemInfo } from "./deps.ts";

type XdgDeps = { env: Pick<Env, "get">; system: Pick<SystemInfo, "homeDir"> };

function xdgBase(deps: XdgDeps, variable: string, ...fallback: string[]): string {
  const value = deps.env.get(variable);
  return value && value.startsWith("/") ? value : join(deps.system.homeDir(), ...fallback);
}

/** `$XDG_CONFIG_HOME/crabbox`, else `~/.config/crabbox`: the user config file and the lease records. */
export function configDir(deps: XdgDeps): string {
  return join(xdgBase(deps, "XDG_CONFIG_HOME", ".config"), "crabbox");
}

/** `$XDG_STATE_HOME/crabbox`, else `~/.local/state/crabbox`: price cache, sweep stamp, tombstones. */
export function stateDir(deps: XdgDeps): string {
  return join(xdgBase(deps, "XDG_STATE_HOME", ".local", "state"), "crabbox");
}

/** `$XDG_CACHE_HOME/crabbox`, else `~/.cache/crabbox`: what can be rebuilt at any time (the manifest memo). */
export function cacheDir(deps: XdgDeps): string {
  return join(xdgBase(deps, "XDG_CACHE_HOME", ".cache"), "crabbox");
}

/** `$XDG_RUNTIME_DIR` when set to an absolute path (ssh control sockets go below it), else null. */
export function runtimeDir(deps: { env: Pick<Env, "get"> }): string | null {
  const value = deps.env.get("XDG_RUNTIME_DIR");
  return value && value.startsWith("/") ? value : null;
}

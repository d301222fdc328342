/**
 * How static hosts are reached, from the config: the login user, port and work root (static.* over the
 * Hetzner defaults), the key file and crabbox's pin file. Shared by the wiring (cli/static_provider.ts) and
 * doctor. Pure.
 */
import { join } from "node:path";

export interface StaticAccess {
  user: string;
  port: number;
  workRoot: string;
}

interface StaticConfigValues {
  static: { user: string; port: number; workRoot: string };
  ssh: { user: string; key: string };
  workRoot: string;
}

export function staticAccessOf(c: StaticConfigValues): StaticAccess {
  return {
    user: c.static.user || c.ssh.user,
    port: c.static.port,
    workRoot: c.static.workRoot || c.workRoot,
  };
}

/** ssh.key with ~ expanded (default ~/.ssh/id_ed25519). */
export function staticKeyFile(c: StaticConfigValues, home: string): string {
  const path = c.ssh.key || "~/.ssh/id_ed25519";
  return path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path;
}

/** crabbox's own known_hosts for static hosts' pinned keys, under its config dir. */
export function staticPinFile(configDir: string): string {
  return join(configDir, "static", "known_hosts");
}

/** The user's known_hosts files a host key may be taken from. */
export function userKnownHosts(home: string): string[] {
  return [join(home, ".ssh", "known_hosts")];
}

/**
 * The provider's own ssh to a static host (lease record reads and writes): the user's ssh.key and a host
 * key pinned in crabbox's known_hosts, with the hardened option set of core/ssh_options.ts (no lease yet).
 */
import { shellQuote } from "../../core/format.ts";
import { pinnedSshArgs } from "../../core/ssh_options.ts";
import { hostKeyAlias, type StaticHost } from "./hosts.ts";

export interface StaticSshOptions {
  keyFile: string;
  pinFile: string;
  configFile: string;
  connectTimeoutSecs: number;
  /** The name the host key is looked up under in pinFile; default the pin's alias (hosts.ts). */
  hostKeyAlias?: string;
}

export function staticSshArgs(host: StaticHost, options: StaticSshOptions): string[] {
  return pinnedSshArgs({
    configFile: options.configFile,
    keyFile: options.keyFile,
    knownHostsFile: options.pinFile,
    hostKeyAlias: options.hostKeyAlias ?? hostKeyAlias(host),
    connectTimeoutSecs: options.connectTimeoutSecs,
    session: ["ControlMaster=no"],
    user: host.user,
    host: host.host,
    port: host.port,
  });
}

/** `bash -c '<script>' crabbox-remote <args…>`, every word single-quoted (as lease/box.ts sends scripts). */
export function remoteBash(script: string, args: string[]): string {
  return ["bash", "-c", shellQuote(script), "crabbox-remote", ...args.map(shellQuote)].join(" ");
}

/**
 * What proves a static host ready, in place of the `crabbox-ready` that cloud-init installs on a Hetzner
 * box: the tools crabbox runs there. Prints `ready`, or `not-ready <tool>` and exits 1.
 */
export const STATIC_READY_COMMAND = remoteBash(
  'for t in bash flock rsync git; do command -v "$t" >/dev/null 2>&1 || { echo "not-ready $t"; exit 1; }; done; echo ready',
  [],
);

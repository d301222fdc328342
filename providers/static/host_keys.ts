/**
 * Static hosts' keys are never trusted on first use silently: a host's ed25519 key is pinned (in
 * crabbox's own known_hosts, under an alias) from the user's known_hosts, or from ssh-keyscan only when
 * the user passed --accept-host-key. An unknown key is a usage error naming that flag.
 */
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import type { Deps } from "../../core/deps.ts";
import { CrabboxError, usageError } from "../../core/errors.ts";
import { describeHost, hostKeyAlias, type StaticHost } from "./hosts.ts";

export interface HostKeyOptions {
  /** crabbox's pins: `<alias> ssh-ed25519 <key>` lines. */
  pinFile: string;
  /** The user's known_hosts files, read through `ssh-keygen -F` (hashed entries work). */
  userKnownHosts: string[];
  acceptHostKey: boolean;
  notify: (message: string) => void;
}

type KeyDeps = Pick<Deps, "proc" | "fs">;
const decoder = new TextDecoder();

/** The `ssh-ed25519 <base64>` of an entry for host (the alias, known_hosts or keyscan output), or null. */
export function ed25519KeyIn(text: string, hostField?: string): string | null {
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words.length < 3 || words[0].startsWith("#")) continue;
    if (hostField !== undefined && words[0] !== hostField) continue;
    if (words[1] === "ssh-ed25519" && /^[A-Za-z0-9+/]+=*$/.test(words[2])) return `${words[1]} ${words[2]}`;
  }
  return null;
}

/** OpenSSH's SHA256 fingerprint of a `type base64` key. */
export function fingerprint(key: string): string {
  const blob = Uint8Array.from(atob(key.split(" ")[1]), (c) => c.charCodeAt(0));
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** How known_hosts names a host: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: StaticHost): string {
  return host.port === 22 ? host.host : `[${host.host}]:${host.port}`;
}

/** Where a host's key is known without asking the host: crabbox's pins, else a user known_hosts file. */
export type KnownHostKey = { key: string; from: "pinned" } | {
  key: string;
  from: "known_hosts";
  file: string;
};

/** The host's key as already known (read only: nothing is pinned), or null. */
export async function knownHostKey(
  deps: KeyDeps,
  host: StaticHost,
  options: Pick<HostKeyOptions, "pinFile" | "userKnownHosts">,
): Promise<KnownHostKey | null> {
  const pinned = ed25519KeyIn(await readIfPresent(deps, options.pinFile), hostKeyAlias(host));
  if (pinned) return { key: pinned, from: "pinned" };
  for (const file of options.userKnownHosts) {
    if (!(await deps.fs.lstat(file))) continue;
    const found = await deps.proc.run("ssh-keygen", ["-F", knownHostsName(host), "-f", file]);
    const key = ed25519KeyIn(decoder.decode(found.stdout));
    if (key) return { key, from: "known_hosts", file };
  }
  return null;
}

export async function pinnedHostKey(
  deps: KeyDeps,
  host: StaticHost,
  options: HostKeyOptions,
): Promise<string> {
  const alias = hostKeyAlias(host);
  const known = await knownHostKey(deps, host, options);
  if (known?.from === "pinned") return known.key;
  const pins = await readIfPresent(deps, options.pinFile);
  let key: string | null = known?.key ?? null;
  let from = known?.from === "known_hosts" ? known.file : "";
  if (!key && options.acceptHostKey) {
    const scan = await deps.proc.run("ssh-keyscan", [
      "-T",
      "10",
      "-t",
      "ed25519",
      "-p",
      String(host.port),
      host.host,
    ]);
    key = ed25519KeyIn(decoder.decode(scan.stdout));
    if (!key) {
      throw new CrabboxError("remote", `ssh-keyscan got no ed25519 host key from ${describeHost(host)}`, {
        hint: "check that the host is up and that its sshd offers an ed25519 host key",
      });
    }
    from = "ssh-keyscan (--accept-host-key)";
  }
  if (!key) {
    throw usageError(
      `the host key of ${describeHost(host)} is unknown: no ed25519 key for ${knownHostsName(host)} in ${
        options.userKnownHosts.join(" or ")
      }`,
      "check the host's key, then pass --accept-host-key to pin it from ssh-keyscan, or add it to your known_hosts",
    );
  }
  await deps.fs.mkdir(dirname(options.pinFile), { recursive: true, mode: 0o700 });
  await deps.fs.writeTextFile(options.pinFile, `${pins}${alias} ${key}\n`, { mode: 0o600 });
  options.notify(`pinned the host key of ${describeHost(host)} (${fingerprint(key)}) from ${from}`);
  return key;
}

async function readIfPresent(deps: KeyDeps, path: string): Promise<string> {
  if (!(await deps.fs.lstat(path))?.isFile) return "";
  return await deps.fs.readTextFile(path);
}

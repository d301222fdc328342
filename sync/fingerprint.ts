/**
 * The sync fingerprint (SPEC §10.5): what the box would receive, hashed. Equal fingerprints mean the
 * box already holds this tree, so rsync is skipped.
 */
import { createHash } from "node:crypto";
import type { Deps } from "../core/deps.ts";
import type { Manifest } from "./manifest.ts";
import { contentIds } from "./content_ids.ts";

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
const decoder = new TextDecoder();

export interface FingerprintInput {
  head: string | null;
  tree: string | null;
  manifest: string[];
  deleted: string[];
  rules: string[];
  options: { delete: boolean; checksum: boolean };
  /** Every manifest file, sorted, with mode, size and content id (git blob id). */
  changed: { path: string; mode: string; size: number; hash: string }[];
}

/** Pure: the same input always gives the same fingerprint. */
export function fingerprint(input: FingerprintInput): string {
  const nul = (list: string[]) => sha256(list.length ? list.join("\0") + "\0" : "");
  let text = "crabbox-sync-v1\n" +
    `head=${input.head ?? "none"}\n` +
    `tree=${input.tree ?? "none"}\n` +
    `manifest=${nul(input.manifest)}\n` +
    `deleted=${nul(input.deleted)}\n` +
    `rules=${sha256(input.rules.join("\n"))}\n` +
    `options=delete:${input.options.delete},checksum:${input.options.checksum}\n`;
  for (const c of input.changed) text += `${c.path}\0${c.mode}\0${c.size}\0${c.hash}\n`;
  return sha256(text);
}

async function git(deps: Pick<Deps, "proc">, cwd: string, args: string[]): Promise<string | null> {
  const result = await deps.proc.run("git", args, { cwd });
  return result.code === 0 ? decoder.decode(result.stdout) : null;
}

export interface LocalFingerprint {
  value: string;
  head: string | null;
  ids: Map<string, string>;
}

/**
 * Gathers the fingerprint inputs from git and lstat. Every file enters with its content id, so
 * dirty, staged, untracked and submodule files all count, and only files without an index id are
 * read (by git). `ids` is what the box's sync-state records after the transfer.
 */
export async function localFingerprint(
  deps: Pick<Deps, "proc" | "fs">,
  manifest: Manifest,
  rules: string[],
  options: { delete: boolean; checksum: boolean },
): Promise<LocalFingerprint> {
  const root = manifest.gitRoot;
  const head = (await git(deps, root, ["rev-parse", "--verify", "-q", "HEAD"]))?.trim() || null;
  const tree = head ? (await git(deps, root, ["rev-parse", "HEAD^{tree}"]))?.trim() ?? null : null;
  const ids = await contentIds(deps, manifest);
  const octal = new Map<number, string>(); // a handful of distinct modes, 100k files
  const changed = manifest.files.map((path, i) => ({
    path,
    mode: octal.get(manifest.modes[i]) ??
      octal.set(manifest.modes[i], manifest.modes[i].toString(8)).get(manifest.modes[i])!,
    size: manifest.sizes[i],
    hash: ids.get(path)!,
  }));
  return {
    value: fingerprint({
      head,
      tree,
      manifest: manifest.files,
      deleted: manifest.deleted,
      rules,
      options,
      changed,
    }),
    head,
    ids,
  };
}

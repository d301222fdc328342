/**
 * The sync fingerprint (SPEC §10.5): what the box would receive, hashed. Equal fingerprints mean the
 * box already holds this tree, so rsync is skipped.
 */
import { createHash } from "node:crypto";
import type { Deps } from "../core/deps.ts";
import type { Manifest } from "./manifest.ts";
import { contentIds } from "./content_ids.ts";
import { byIndex, nulTerminated, sha256OfPieces } from "./chunked.ts";
import { GIT_HEAD_AND_TREE } from "./git_queries.ts";

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

/**
 * Pure: the digest of what the tree holds (the file list, deletions, rules, and every file's mode, size and
 * content id). The manifest memo keeps it, so an unchanged tree needs none of its per-file inputs.
 */
export function treeDigest(input: Omit<FingerprintInput, "head" | "tree" | "options">): string {
  return digestOfTree(input.manifest, input.deleted, input.rules, input.changed);
}

/** treeDigest over the records as they are produced: no per-file object list, no whole text. */
function digestOfTree(
  manifest: string[],
  deleted: string[],
  rules: string[],
  records: Iterable<FingerprintInput["changed"][number]>,
): string {
  const nul = (list: string[]) => sha256OfPieces(nulTerminated(list));
  const lines = function* () {
    yield `manifest=${nul(manifest)}\n` + `deleted=${nul(deleted)}\n` + `rules=${sha256(rules.join("\n"))}\n`;
    for (const c of records) yield `${c.path}\0${c.mode}\0${c.size}\0${c.hash}\n`;
  };
  return sha256OfPieces(lines());
}

/** Pure: the fingerprint of a tree digest at a commit, under the sync options. */
export function fingerprintOf(
  input: Pick<FingerprintInput, "head" | "tree" | "options"> & { treeDigest: string },
): string {
  return sha256(
    "crabbox-sync-v2\n" +
      `head=${input.head ?? "none"}\n` +
      `tree=${input.tree ?? "none"}\n` +
      `options=delete:${input.options.delete},checksum:${input.options.checksum}\n` +
      `files=${input.treeDigest}\n`,
  );
}

/** Pure: the same input always gives the same fingerprint. */
export function fingerprint(input: FingerprintInput): string {
  return fingerprintOf({ ...input, treeDigest: treeDigest(input) });
}

async function git(deps: Pick<Deps, "proc">, cwd: string, args: string[]): Promise<string | null> {
  const result = await deps.proc.run("git", args, { cwd });
  return result.code === 0 ? decoder.decode(result.stdout) : null;
}

export interface LocalFingerprint {
  value: string;
  head: string | null;
  /** Content ids, aligned with the manifest's files. */
  ids: string[];
  /** The tree digest inside value (what the manifest memo keeps). */
  treeDigest: string;
}

/** HEAD and its tree, or nulls on an unborn branch. */
export async function headAndTree(
  deps: Pick<Deps, "proc">,
  root: string,
): Promise<{ head: string | null; tree: string | null }> {
  // An unborn branch fails the whole query (128): no HEAD, no tree.
  const [head, tree] = (await git(deps, root, GIT_HEAD_AND_TREE))?.split("\n") ?? [];
  return head && tree ? { head, tree } : { head: null, tree: null };
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
  const [{ head, tree }, ids] = await Promise.all([
    headAndTree(deps, manifest.gitRoot),
    contentIds(deps, manifest),
  ]);
  const octal = new Map<number, string>(); // a handful of distinct modes, 100k files
  const modeOf = (mode: number) => octal.get(mode) ?? octal.set(mode, mode.toString(8)).get(mode)!;
  const records = byIndex(manifest.files.length, (i) => ({
    path: manifest.files[i],
    mode: modeOf(manifest.modes[i]),
    size: manifest.sizes[i],
    hash: ids[i],
  }));
  const digest = digestOfTree(manifest.files, manifest.deleted, rules, records);
  return { value: fingerprintOf({ head, tree, options, treeDigest: digest }), head, ids, treeDigest: digest };
}

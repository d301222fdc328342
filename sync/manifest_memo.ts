/**
 * The manifest memo: what a run needs of an unchanged tree (counts, warnings and the tree digest of the
 * fingerprint), kept per repository in crabbox's cache dir. It is valid while git's view is the same:
 * the same index file, the same `git status` output, the same rules, and the same lstat of every file the
 * manifest had to look at itself (changed, untracked, or sized outside the index). A hit costs one
 * `git status` instead of the index listing, the blob sizes, the rules over every path and the per-file
 * hash — a second of work on a 100k-file repo. The decisions here are pure; sync/sync_tree.ts does the I/O.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Env, FileInfo, SystemInfo } from "../core/deps.ts";
import { cacheDir } from "../core/xdg.ts";
import type { Manifest } from "./manifest.ts";

/** Raised whenever what a memo records, or how the manifest is built from git, changes meaning. */
export const MEMO_FORMAT = 1;
/** A tree with more files to look at than this (a repo never committed) is not memoised: lstat'ing them all is the work. */
export const MAX_LOOKED = 10_000;
/**
 * A file changed this recently may change again within the clock's resolution without its lstat showing
 * it (git's "racy" case): such a tree is not memoised, and the next run, later, builds and memoises it.
 */
export const RACY_MS = 2_000;

/** What the preflight checks and the summary prints of a tree: the manifest without its per-file lists. */
export interface ManifestSummary {
  files: number;
  bytes: number;
  nonRegular: Manifest["nonRegular"];
  excludedTrackedSecrets: Manifest["excludedTrackedSecrets"];
  reincludedSecrets: string[];
}

export interface ManifestMemo {
  format: number;
  gitRoot: string;
  /** Digest of the effective rules and sync.include. */
  rules: string;
  /** Signature of git's index file. */
  index: string;
  /** Digest of `git status --porcelain=v2` output. */
  status: string;
  /** Every path the manifest lstat'ed, with its signature. */
  looked: [string, string][];
  summary: ManifestSummary;
  treeDigest: string;
}

export function summaryOf(manifest: Manifest): ManifestSummary {
  return {
    files: manifest.files.length,
    bytes: manifest.bytes,
    nonRegular: manifest.nonRegular,
    excludedTrackedSecrets: manifest.excludedTrackedSecrets,
    reincludedSecrets: manifest.reincludedSecrets,
  };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export function rulesDigest(ruleTexts: string[], include: string[] = []): string {
  return sha256(JSON.stringify([ruleTexts, include]));
}

/** What tells a rewritten file: size, times, inode and type ("absent" for none). */
export function fileSignature(info: FileInfo | null): string {
  if (!info) return "absent";
  const kind = info.isSymlink ? "l" : info.isDirectory ? "d" : info.isFile ? "f" : "s";
  return `${kind}:${info.size}:${info.mode ?? "-"}:${info.mtimeMs ?? "-"}:${info.ctimeMs ?? "-"}:${
    info.ino ?? "-"
  }`;
}

/** Where the memo of the repository at gitRoot lives. */
export function memoPath(
  deps: { env: Pick<Env, "get">; system: Pick<SystemInfo, "homeDir"> },
  gitRoot: string,
) {
  return join(cacheDir(deps), "manifests", `${sha256(gitRoot).slice(0, 32)}.json`);
}

/** The memo in a file's text, or null when it is unreadable or of another format. */
export function parseMemo(text: string): ManifestMemo | null {
  try {
    const memo = JSON.parse(text);
    const ok = memo?.format === MEMO_FORMAT && typeof memo.gitRoot === "string" &&
      typeof memo.rules === "string" && typeof memo.index === "string" && typeof memo.status === "string" &&
      Array.isArray(memo.looked) && typeof memo.treeDigest === "string" && typeof memo.summary === "object";
    return ok ? memo as ManifestMemo : null;
  } catch {
    return null;
  }
}

/**
 * Can what the manifest looked at be memoised? Not when it looked into a submodule (an lstat of its
 * `.git`: the submodule's own index and status are not in the key), looked at too many files, or saw a
 * file changed within RACY_MS of now.
 */
export function memoable(looked: Map<string, FileInfo | null>, now: number): boolean {
  if (looked.size > MAX_LOOKED) return false;
  for (const [path, info] of looked) {
    if (path.endsWith("/.git")) return false;
    if (!info) continue;
    const newest = Math.max(info.mtimeMs ?? Infinity, info.ctimeMs ?? info.mtimeMs ?? Infinity);
    if (newest > now - RACY_MS) return false;
  }
  return true;
}

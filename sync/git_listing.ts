/**
 * What git already knows about a work tree, read in three calls instead of one lstat per file:
 * `ls-files -s -t --debug` (index entries with their recorded stat size), `cat-file --batch-check`
 * (blob sizes, to tell whether that stat size can be trusted) and `status --porcelain=v2` (the
 * entries whose work-tree file differs from the index, and the untracked files). Parsers are pure.
 */
import { createHash } from "node:crypto";
import type { Deps } from "../core/deps.ts";
import { syncError } from "../core/errors.ts";
import { GIT_STATUS } from "./git_queries.ts";

export interface IndexEntry {
  path: string;
  /** `ls-files -t` tag: H cached, S skip-worktree (also outside a sparse cone), M unmerged, … */
  tag: string;
  /** Octal index mode: 100644, 100755, 120000 (symlink) or 160000 (gitlink). */
  mode: string;
  object: string;
  stage: string;
  /** The work-tree size git recorded when it last saw the file match the index; null when unknown. */
  statSize: number | null;
  /** git's assume-unchanged bit: git stops checking the file, so its stat data is not evidence. */
  assumeUnchanged: boolean;
  /** The blob's size (cat-file), when asked for. */
  blobSize: number | null;
}

/** What `status --porcelain=v2` says of one repository. */
export interface WorkTreeStatus {
  /** Tracked paths whose work tree differs from the index (modified, deleted, type change, unmerged). */
  changed: Set<string>;
  /** Untracked, not ignored files (an untracked nested repository, listed as "dir/", is left out). */
  untracked: string[];
}

const decoder = new TextDecoder();
export const GITLINK = "160000";
/** ce_flags bit of `git update-index --assume-unchanged` (CE_VALID). */
const CE_VALID = 0x8000;

/**
 * One entry of `git ls-files -s -t -z --debug`: `<tag> <mode> <object> <stage>\t<path>\0`, then
 * indented lines of stat data (the debug part) of which mtime, size and flags are read. Indented
 * lines of any other shape are skipped: those entries are lstat'ed instead.
 */
const ENTRY = String.raw`([^ \0\n]+) (\d+) ([0-9a-f]+) (\d)\t([^\0]*)\0`;
const STAT = String.raw`  ctime: [^\n]*\n  mtime: (\d+):[^\n]*\n(?:  [^\n]*\n)*?` +
  String.raw`  size: (\d+)\tflags: ([0-9a-f]+)\n`;
const OTHER_LINES = String.raw`(?:  [^\n]*\n)*`;
const RECORD = new RegExp(`${ENTRY}(?:${STAT}|${OTHER_LINES})`, "y");

/** Parses `git ls-files -s -t -z --debug`; an entry without readable stat data keeps statSize null. */
export function parseIndexListing(text: string): IndexEntry[] {
  const entries: IndexEntry[] = [];
  RECORD.lastIndex = 0;
  let read = 0;
  for (let match = RECORD.exec(text); match; match = RECORD.exec(text)) {
    const [, tag, mode, object, stage, path, mtime, size, flags] = match;
    read = RECORD.lastIndex;
    entries.push({
      tag,
      mode,
      object,
      stage,
      path,
      // Zeroed stat data (read-tree, update-index --cacheinfo) records no work-tree file at all.
      statSize: mtime !== undefined && mtime !== "0" ? Number(size) : null,
      assumeUnchanged: flags !== undefined && (parseInt(flags, 16) & CE_VALID) !== 0,
      blobSize: null,
    });
  }
  // A listing read only in part would leave files out of the sync (and the prune would delete them).
  if (read !== text.length) {
    throw syncError(
      `unexpected git ls-files output at byte ${read}`,
      "check the repository with git status; report the git version",
    );
  }
  return entries;
}

/** Parses `git status --porcelain=v2 -z --no-renames`: ordinary (1), unmerged (u) and untracked (?) records. */
export function parseStatus(text: string): WorkTreeStatus {
  const changed = new Set<string>();
  const untracked: string[] = [];
  for (const record of text.split("\0")) {
    if (record.startsWith("? ")) {
      const path = record.slice(2);
      if (!path.endsWith("/")) untracked.push(path);
    } else if (record.startsWith("1 ")) {
      // 1 XY sub mH mI mW hH hI path: Y is the work tree against the index ("." when equal).
      const fields = record.split(" ");
      if (fields[1][1] !== ".") changed.add(fields.slice(8).join(" "));
    } else if (record.startsWith("u ")) {
      changed.add(record.split(" ").slice(10).join(" "));
    }
  }
  return { changed, untracked };
}

/** Parses `git cat-file --batch-check=%(objectsize)`: one line per object asked, "<id> missing" if absent. */
export function parseBlobSizes(text: string): (number | null)[] {
  const sizes: (number | null)[] = [];
  let at = 0;
  for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", at)) {
    const line = text.slice(at, newline);
    sizes.push(/^\d+$/.test(line) ? Number(line) : null);
    at = newline + 1;
  }
  return sizes;
}

/**
 * Can the index's stat size stand in for an lstat of a file git reports unchanged? Only when it
 * equals the blob's size: that rules out a size git keeps truncated to 32 bits (files over 4 GiB)
 * and one recorded through a clean filter (git-lfs, eol conversion), whose file may have changed size.
 */
export function trustedSize(entry: IndexEntry): number | null {
  if (entry.statSize === null || entry.assumeUnchanged || entry.stage !== "0") return null;
  return entry.blobSize === entry.statSize ? entry.statSize : null;
}

async function git(
  deps: Pick<Deps, "proc">,
  cwd: string,
  args: string[],
  stdin?: string,
): Promise<string> {
  const result = await deps.proc.run("git", args, { cwd, stdin });
  if (result.code !== 0) {
    throw syncError(
      `git ${args[0]} failed in ${cwd}: ${decoder.decode(result.stderr).trim()}`,
      "check the repository with git status",
    );
  }
  return decoder.decode(result.stdout);
}

/** The index entries of the repository at root, with blob sizes for those whose stat size is recorded. */
export async function readIndex(deps: Pick<Deps, "proc">, root: string): Promise<IndexEntry[]> {
  const entries = parseIndexListing(await git(deps, root, ["ls-files", "-s", "-t", "-z", "--debug"]));
  const asked = entries.filter((entry) => entry.statSize !== null && entry.mode !== GITLINK);
  if (asked.length === 0) return entries;
  const sizes = parseBlobSizes(
    await git(
      deps,
      root,
      ["cat-file", "--batch-check=%(objectsize)", "--buffer"],
      asked.map((entry) => entry.object + "\n").join(""),
    ),
  );
  asked.forEach((entry, i) => (entry.blobSize = sizes[i] ?? null));
  return entries;
}

/** What `git status` said, and a digest of its whole output (the manifest memo compares it). */
export type ReadStatus = WorkTreeStatus & { digest: string };

/** The work-tree changes and untracked files of the repository at root (submodules are listed on their own). */
export async function readStatus(deps: Pick<Deps, "proc">, root: string): Promise<ReadStatus> {
  const text = await git(deps, root, GIT_STATUS);
  return { ...parseStatus(text), digest: createHash("sha256").update(text).digest("hex") };
}

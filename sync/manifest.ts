/**
 * The sync manifest (SPEC §10.1): tracked + non-ignored untracked files from git (initialized
 * submodules expanded, recursively), filtered by the rules and sync.include; absent files left out,
 * tracked deletions reported, skip-worktree/sparse entries neither sent nor pruned. Sizes of files
 * git reports unchanged come from the index; only the rest is lstat'ed (see git_listing.ts).
 */
import type { Deps, FileInfo, SpecialFileKind } from "../core/deps.ts";
import { syncError } from "../core/errors.ts";
import { GIT_TOPLEVEL } from "./git_queries.ts";
import { encodePieces, nulTerminated } from "./chunked.ts";
import { PathPatterns, type Rule, RuleSet, type Verdict } from "./rules.ts";
import {
  GITLINK,
  type IndexEntry,
  readIndex,
  readStatus,
  trustedSize,
  type WorkTreeStatus,
} from "./git_listing.ts";

export interface Manifest {
  gitRoot: string;
  /** Present files to send, sorted. */
  files: string[];
  /** Sizes in bytes, aligned with files. */
  sizes: number[];
  /** git's mode of each file (100644, 100755 or 120000), aligned with files. */
  modes: number[];
  /** The files that are symlinks (sent as links, never followed). */
  symlinks: Set<string>;
  /** Tracked paths deleted locally. */
  deleted: string[];
  /** Skip-worktree and sparse entries: never sent, never pruned (see pruneList). */
  skipped: string[];
  /** FIFOs, sockets and devices: never opened, never sent (warned about before leasing). */
  nonRegular: { path: string; kind: SpecialFileKind | "special file" }[];
  /**
   * Index blob ids of tracked files whose work tree matches the index: their content ids, known
   * without reading them. Dirty, unmerged and untracked files have none.
   */
  indexIds: Map<string, string>;
  bytes: number;
  excludedTrackedSecrets: { path: string; rule: string }[];
  protectedTracked: { path: string; rule: string }[];
  /** Paths a user rule re-included although a secret rule excluded them (warned about). */
  reincludedSecrets: string[];
}

const decoder = new TextDecoder();

/** The git root of cwd, or an exit-6 error that says what to do. */
export async function findGitRoot(deps: Pick<Deps, "proc">, cwd: string): Promise<string> {
  const result = await deps.proc.run("git", GIT_TOPLEVEL, { cwd });
  if (result.code !== 0) {
    throw syncError(`${cwd} is not inside a git repository`, "run 'git init' or use --no-sync");
  }
  return decoder.decode(result.stdout).trim();
}

/** One listed path with its rule verdict, decided while git status still runs. */
interface Listed {
  path: string;
  tracked: boolean;
  verdict: Verdict;
  /** `git ls-files -t` tag S: skip-worktree, which also marks paths outside a sparse cone. */
  skipped: boolean;
  /** The stage-0 index blob id, while the work tree matches it (unset for untracked and unmerged paths). */
  indexId?: string;
  /** Size and mode of a file git reports unchanged, from the index: no lstat needed. */
  known?: { size: number; mode: number };
}

/** Every listed path of one repository and its initialized submodules, prefixed from the top. */
async function listRepo(
  deps: Pick<Deps, "proc" | "fs">,
  root: string,
  prefix: string,
  rules: RuleSet,
  into: Listed[],
  started?: Promise<WorkTreeStatus>,
): Promise<void> {
  const status = started ?? readStatus(deps, root);
  status.catch(() => {}); // awaited below, where its failure is the error
  const tracked: (Listed & { entry: IndexEntry })[] = [];
  for (const entry of await readIndex(deps, root)) {
    if (entry.mode === GITLINK) {
      if (await deps.fs.lstat(`${root}/${entry.path}/.git`)) {
        await listRepo(deps, `${root}/${entry.path}`, `${prefix}${entry.path}/`, rules, into);
      }
      continue;
    }
    const path = prefix + entry.path;
    if (tracked.at(-1)?.path === path) continue; // an unmerged path: one entry per stage
    tracked.push({
      path,
      tracked: true,
      verdict: rules.decide(path, true),
      skipped: entry.tag === "S",
      entry,
    });
  }
  const { changed, untracked } = await status;
  for (const listed of tracked) {
    const { entry } = listed;
    // Unmerged paths have stages 1-3 and no stage 0: their work-tree content has no index id.
    // A work tree that differs from the index (git compares stat, then content) has none either.
    if (entry.stage === "0" && !changed.has(entry.path)) {
      listed.indexId = entry.object;
      const size = trustedSize(entry);
      if (size !== null) listed.known = { size, mode: parseInt(entry.mode, 8) };
    }
    into.push(listed);
  }
  for (const path of untracked) {
    into.push({
      path: prefix + path,
      tracked: false,
      verdict: rules.decide(prefix + path, false),
      skipped: false,
    });
  }
}

/** git's view of a file's mode (what the fingerprint records): symlink, executable or not. */
export function gitMode(info: FileInfo): number {
  if (info.isSymlink) return 0o120000;
  return (info.mode ?? 0) & 0o100 ? 0o100755 : 0o100644;
}

export async function buildManifest(
  deps: Pick<Deps, "proc" | "fs">,
  gitRoot: string,
  rules: Rule[],
  /** status: the root's `git status`, when already started (the manifest memo started it). */
  options: { include?: string[]; status?: Promise<WorkTreeStatus> } = {},
): Promise<Manifest> {
  const ruleSet = new RuleSet(rules);
  const listed: Listed[] = [];
  await listRepo(deps, gitRoot, "", ruleSet, listed, options.status);
  listed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const include = options.include?.length ? new PathPatterns(options.include) : null;
  const manifest: Manifest = {
    gitRoot,
    files: [],
    sizes: [],
    modes: [],
    symlinks: new Set(),
    deleted: [],
    skipped: [],
    nonRegular: [],
    indexIds: new Map(),
    bytes: 0,
    excludedTrackedSecrets: [],
    protectedTracked: [],
    reincludedSecrets: [],
  };
  const add = (path: string, size: number, mode: number, indexId?: string) => {
    if (indexId) manifest.indexIds.set(path, indexId);
    if (mode === 0o120000) manifest.symlinks.add(path);
    manifest.files.push(path);
    manifest.sizes.push(size);
    manifest.modes.push(mode);
    manifest.bytes += size;
  };
  for (const { path, tracked, verdict, skipped, indexId, known } of listed) {
    if (verdict.excluded) {
      if (tracked && verdict.rule?.source === "secret") {
        manifest.excludedTrackedSecrets.push({ path, rule: verdict.rule.pattern });
      }
      continue;
    }
    if (include && include.matching(path).length === 0) continue;
    if (skipped) {
      manifest.skipped.push(path);
      continue;
    }
    if (verdict.reincludedSecret) manifest.reincludedSecrets.push(path);
    if (tracked && verdict.rule?.ambiguous) {
      manifest.protectedTracked.push({ path, rule: verdict.rule.pattern });
    }
    if (known) {
      add(path, known.size, known.mode, indexId);
      continue;
    }
    // Changed, untracked, or a size the index cannot vouch for: the file itself says.
    const info = await deps.fs.lstat(`${gitRoot}/${path}`);
    if (!info) {
      if (tracked) manifest.deleted.push(path);
      continue;
    }
    if (info.isDirectory) continue; // an uninitialized submodule, or a file replaced by a directory
    if (!info.isFile && !info.isSymlink) {
      manifest.nonRegular.push({ path, kind: info.special ?? "special file" });
      continue;
    }
    add(path, info.size, gitMode(info), indexId);
  }
  return manifest;
}

/**
 * The list the box-side prune compares against (stdin of pruneScript): what is sent plus the
 * skip-worktree/sparse paths, so those are never pruned. Sorted, NUL-separated.
 */
export function pruneList(manifest: Manifest): Uint8Array {
  // The files are sorted already (the same code-unit order); skipped entries are rare.
  const paths = manifest.skipped.length ? [...manifest.files, ...manifest.skipped].sort() : manifest.files;
  return encodePieces(nulTerminated(paths));
}

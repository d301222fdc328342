/**
 * The sync manifest (SPEC §10.1): tracked + non-ignored untracked files from git (initialized
 * submodules expanded, recursively), filtered by the rules and sync.include; absent files left out,
 * tracked deletions reported, skip-worktree/sparse entries neither sent nor pruned.
 */
import type { Deps, SpecialFileKind } from "../core/deps.ts";
import { syncError } from "../core/errors.ts";
import { decide, matches, type Rule } from "./rules.ts";

export interface Manifest {
  gitRoot: string;
  /** Present files to send, sorted. */
  files: string[];
  /** Sizes in bytes, aligned with files. */
  sizes: number[];
  /** lstat st_mode bits, aligned with files. */
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
const GITLINK = "160000";

async function git(deps: Pick<Deps, "proc">, cwd: string, args: string[]): Promise<string> {
  const result = await deps.proc.run("git", args, { cwd });
  if (result.code !== 0) {
    throw syncError(
      `git ${args[0]} failed in ${cwd}: ${decoder.decode(result.stderr).trim()}`,
      "check the repository with git status",
    );
  }
  return decoder.decode(result.stdout);
}

/** The git root of cwd, or an exit-6 error that says what to do. */
export async function findGitRoot(deps: Pick<Deps, "proc">, cwd: string): Promise<string> {
  const result = await deps.proc.run("git", ["rev-parse", "--show-toplevel"], { cwd });
  if (result.code !== 0) {
    throw syncError(`${cwd} is not inside a git repository`, "run 'git init' or use --no-sync");
  }
  return decoder.decode(result.stdout).trim();
}

interface Entry {
  tracked: boolean;
  /** The stage-0 index blob id (unset for untracked and unmerged paths). */
  indexId?: string;
  /** `git ls-files -t` tag S: skip-worktree, which also marks paths outside a sparse cone. */
  skipped: boolean;
}

/** Every listed path of one repository and its initialized submodules, prefixed from the top. */
async function listRepo(
  deps: Pick<Deps, "proc" | "fs">,
  root: string,
  prefix: string,
  into: Map<string, Entry>,
): Promise<void> {
  // -s -t: "<tag> <mode> <object> <stage>\t<path>"; unmerged paths repeat once per stage.
  for (const record of (await git(deps, root, ["ls-files", "-s", "-t", "-z"])).split("\0")) {
    const match = record.match(/^(\S) (\d+) (\S+) (\d+)\t(.+)$/s);
    if (!match) continue;
    const [, tag, mode, object, stage, path] = match;
    if (mode === GITLINK) {
      if (await deps.fs.lstat(`${root}/${path}/.git`)) {
        await listRepo(deps, `${root}/${path}`, `${prefix}${path}/`, into);
      }
      continue;
    }
    // Unmerged paths have stages 1-3 and no stage 0: their work-tree content has no index id.
    const indexId = stage === "0" ? object : undefined;
    into.set(prefix + path, { tracked: true, skipped: tag === "S", indexId });
  }
  // Work tree differs from the index: the index id is not the content (git compares stat, then content).
  const dirty = await git(deps, root, [
    "diff",
    "--name-only",
    "--no-renames",
    "--no-ext-diff",
    "--ignore-submodules=all",
    "-z",
  ]);
  for (const path of dirty.split("\0")) {
    const entry = path ? into.get(prefix + path) : undefined;
    if (entry) entry.indexId = undefined;
  }
  for (
    const path of (await git(deps, root, ["ls-files", "--others", "--exclude-standard", "-z"])).split("\0")
  ) {
    // An untracked nested repository is listed as "dir/"; it is not part of this tree.
    if (path && !path.endsWith("/")) into.set(prefix + path, { tracked: false, skipped: false });
  }
}

export async function buildManifest(
  deps: Pick<Deps, "proc" | "fs">,
  gitRoot: string,
  rules: Rule[],
  options: { include?: string[] } = {},
): Promise<Manifest> {
  const listed = new Map<string, Entry>();
  await listRepo(deps, gitRoot, "", listed);
  const include = options.include ?? [];
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
  for (const path of [...listed.keys()].sort()) {
    const { tracked, skipped, indexId } = listed.get(path)!;
    const verdict = decide(rules, path, tracked);
    if (verdict.excluded) {
      if (tracked && verdict.rule?.source === "secret") {
        manifest.excludedTrackedSecrets.push({ path, rule: verdict.rule.pattern });
      }
      continue;
    }
    if (include.length > 0 && !include.some((pattern) => matches(pattern, path))) continue;
    if (skipped) {
      manifest.skipped.push(path);
      continue;
    }
    if (verdict.reincludedSecret) manifest.reincludedSecrets.push(path);
    if (tracked && verdict.rule?.ambiguous) {
      manifest.protectedTracked.push({ path, rule: verdict.rule.pattern });
    }
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
    if (indexId) manifest.indexIds.set(path, indexId);
    if (info.isSymlink) manifest.symlinks.add(path);
    manifest.files.push(path);
    manifest.sizes.push(info.size);
    manifest.modes.push(info.mode ?? 0);
    manifest.bytes += info.size;
  }
  return manifest;
}

/**
 * The list the box-side prune compares against (stdin of pruneScript): what is sent plus the
 * skip-worktree/sparse paths, so those are never pruned. Sorted, NUL-separated.
 */
export function pruneList(manifest: Manifest): string {
  return [...manifest.files, ...manifest.skipped].sort().map((path) => path + "\0").join("");
}

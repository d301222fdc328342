/**
 * What a run in a repository is sure to ask git (and rsync) before anything else, started by main.ts
 * while the command tree loads: the git root, then the memo's status check, HEAD and the hydration
 * facts in it. All read-only; an answer the command never asks for costs one idle process.
 */
import type { PrefetchingRunner } from "../core/prefetch.ts";
import {
  GIT_BRANCH,
  GIT_HEAD_AND_TREE,
  GIT_INDEX_PATH,
  GIT_ORIGIN_HEAD,
  GIT_ORIGIN_URL,
  GIT_STATUS,
  GIT_TOPLEVEL,
  RSYNC_VERSION,
} from "./git_queries.ts";

/** `crabbox run …` and `crabbox job run …` sync a repository; a wrong guess only wastes the prefetch. */
export function syncsRepository(argv: string[]): boolean {
  const end = argv.indexOf("--");
  const ours = end < 0 ? argv : argv.slice(0, end);
  return ours.includes("run") && !ours.includes("--no-sync");
}

/**
 * Starts the queries at once: the root is guessed as the nearest directory holding `.git` (a
 * synchronous look, so nothing waits for a turn of the event loop), and a guess git disagrees with
 * only leaves the answers unasked for. Not with GIT_DIR or GIT_WORK_TREE, which move the root.
 */
export function prefetchRepository(
  proc: PrefetchingRunner,
  cwd: string,
  look: { hasGitEntry(dir: string): boolean; env(name: string): string | undefined },
): void {
  if (look.env("GIT_DIR") !== undefined || look.env("GIT_WORK_TREE") !== undefined) return;
  proc.prefetch("rsync", RSYNC_VERSION);
  proc.prefetch("git", GIT_TOPLEVEL, cwd);
  const root = guessGitRoot(cwd, look.hasGitEntry);
  if (root === null) return;
  const queries = [
    GIT_STATUS,
    GIT_INDEX_PATH,
    GIT_HEAD_AND_TREE,
    GIT_ORIGIN_HEAD,
    GIT_BRANCH,
    GIT_ORIGIN_URL,
  ];
  for (const args of queries) proc.prefetch("git", args, root);
}

/** Pure: the nearest of cwd and its parents for which hasGitEntry says yes, or null. */
export function guessGitRoot(cwd: string, hasGitEntry: (dir: string) => boolean): string | null {
  for (let dir = cwd.replace(/\/+$/, "") || "/";;) {
    if (hasGitEntry(dir)) return dir;
    if (dir === "/") return null;
    dir = dir.slice(0, dir.lastIndexOf("/")) || "/";
  }
}

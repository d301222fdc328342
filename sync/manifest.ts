/**
 * The sync manifest (SPEC §10.1): tracked + non-ignored untracked files from git, filtered by the rules,
 * absent files left out and tracked deletions reported.
 */
import type { Deps } from "../core/deps.ts";
import { syncError } from "../core/errors.ts";
import { decide, type Rule } from "./rules.ts";

export interface Manifest {
  gitRoot: string;
  /** Present files to send, sorted. */
  files: string[];
  /** Tracked paths deleted locally. */
  deleted: string[];
  bytes: number;
  excludedTrackedSecrets: { path: string; rule: string }[];
  protectedTracked: { path: string; rule: string }[];
}

const decoder = new TextDecoder();

async function git(deps: Pick<Deps, "proc">, cwd: string, args: string[]): Promise<string> {
  const result = await deps.proc.run("git", args, { cwd });
  if (result.code !== 0) {
    throw syncError(
      `git ${args[0]} failed: ${decoder.decode(result.stderr).trim()}`,
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

export async function buildManifest(
  deps: Pick<Deps, "proc" | "fs">,
  gitRoot: string,
  rules: Rule[],
): Promise<Manifest> {
  const listed = (await git(deps, gitRoot, ["ls-files", "--cached", "--others", "--exclude-standard", "-z"]))
    .split("\0").filter(Boolean);
  const tracked = new Set(
    (await git(deps, gitRoot, ["ls-files", "--cached", "-z"])).split("\0").filter(Boolean),
  );
  const manifest: Manifest = {
    gitRoot,
    files: [],
    deleted: [],
    bytes: 0,
    excludedTrackedSecrets: [],
    protectedTracked: [],
  };
  for (const path of [...new Set(listed)].sort()) {
    const isTracked = tracked.has(path);
    const verdict = decide(rules, path, isTracked);
    if (verdict.excluded) {
      if (isTracked && verdict.rule?.source === "secret") {
        manifest.excludedTrackedSecrets.push({ path, rule: verdict.rule.pattern });
      }
      continue;
    }
    if (isTracked && verdict.rule?.ambiguous) {
      manifest.protectedTracked.push({ path, rule: verdict.rule.pattern });
    }
    const info = await deps.fs.lstat(`${gitRoot}/${path}`);
    if (!info) {
      if (isTracked) manifest.deleted.push(path);
      continue;
    }
    if (info.isDirectory) continue; // a submodule's gitlink
    manifest.files.push(path);
    manifest.bytes += info.size;
  }
  return manifest;
}

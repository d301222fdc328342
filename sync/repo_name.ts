/** The repo name (SPEC §10.7): last segment of origin without .git, else the git root's basename. */
import { basename } from "node:path";
import type { Deps } from "../core/deps.ts";
import { sanitizeLabelValue } from "../labels/sanitize.ts";
import { GIT_ORIGIN_URL } from "./git_queries.ts";

export function repoNameFromUrl(originUrl: string | null, gitRoot: string): string {
  const fromOrigin = originUrl?.trim().replace(/\/+$/, "").split(/[/:]/).pop()?.replace(/\.git$/, "");
  return sanitizeLabelValue(fromOrigin || basename(gitRoot));
}

/** origin's URL, or null without one. Asked once a run: the repo name and the hydration facts share it. */
export async function originUrlOf(deps: Pick<Deps, "proc">, gitRoot: string): Promise<string | null> {
  const result = await deps.proc.run("git", GIT_ORIGIN_URL, { cwd: gitRoot });
  return result.code === 0 ? new TextDecoder().decode(result.stdout).trim() || null : null;
}

export async function repoNameFrom(deps: Pick<Deps, "proc">, gitRoot: string): Promise<string> {
  return repoNameFromUrl(await originUrlOf(deps, gitRoot), gitRoot);
}

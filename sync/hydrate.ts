/**
 * Git hydration without a usable origin (SPEC §10.6, issue 8 defect 10): the box gets the local HEAD
 * commit in a git bundle of what it lacks. Parsing of the box's report is pure; the bundle comes
 * from the local git.
 */
import type { Deps } from "../core/deps.ts";

export type HydrateReport =
  | { kind: "hydrated"; noBase: boolean }
  /** The box lacks the commit: `boxHead` is what it has (a base for the bundle), `origin` why origin did not serve it. */
  | { kind: "need"; boxHead: string | null; origin: string | null; noBase: boolean }
  | { kind: "failed"; reason: string; noBase: boolean };

/** Reads the stdout of hydrateScript / hydrateBundleScript; anything unexpected is a failure. */
export function parseHydrateReport(code: number, stdout: string, stderr: string): HydrateReport {
  const lines = stdout.split("\n");
  const noBase = lines.includes("NOBASE");
  const value = (tag: string) => lines.find((l) => l.startsWith(`${tag} `))?.slice(tag.length + 1).trim();
  const fail = value("FAIL");
  if (fail !== undefined) return { kind: "failed", reason: fail || "git failed on the box", noBase };
  if (code === 0 && lines.includes("HYDRATED")) return { kind: "hydrated", noBase };
  const need = value("NEED");
  if (code === 0 && need) {
    return { kind: "need", boxHead: need === "none" ? null : need, origin: value("ORIGIN") || null, noBase };
  }
  const detail = stderr.trim().split("\n").at(-1) || `exit ${code}`;
  return { kind: "failed", reason: `the hydrate script failed on the box: ${detail}`, noBase };
}

export interface Bundle {
  bytes: Uint8Array;
  /** The commit the bundle builds on (the box has it), or null for the full history. */
  base: string | null;
}

const decoder = new TextDecoder();

/**
 * A bundle of HEAD: only what `base` lacks when the local repository knows that commit, else the
 * whole history. Null with git's error when git cannot make one (a shallow clone, for one).
 */
export async function localBundle(
  deps: Pick<Deps, "proc">,
  gitRoot: string,
  base: string | null,
): Promise<{ bundle: Bundle } | { error: string }> {
  const known = base !== null &&
    (await deps.proc.run("git", ["cat-file", "-e", `${base}^{commit}`], { cwd: gitRoot })).code === 0;
  // A bundle names refs, not raw commits: HEAD is the ref (the box checks it got the expected commit).
  const args = ["bundle", "create", "-q", "-", "HEAD", ...(known ? [`^${base}`] : [])];
  const result = await deps.proc.run("git", args, { cwd: gitRoot });
  if (result.code !== 0) {
    return {
      error: decoder.decode(result.stderr).trim().split("\n").at(-1) || `git bundle exited ${result.code}`,
    };
  }
  return { bundle: { bytes: result.stdout, base: known ? base : null } };
}

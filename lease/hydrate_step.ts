/**
 * Git hydration (SPEC §10.6): after the files, the box's workdir becomes a git checkout at the local
 * HEAD. From origin when the box can fetch it; otherwise (no origin, an origin with credentials, an
 * origin the box cannot reach, a HEAD not pushed) from a bundle of what the box lacks, sent over ssh.
 * Failures warn with git's own error and leave the box unmarked, so the next run tries again.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import { formatBytes } from "../core/format.ts";
import { type HydrateReport, localBundle, parseHydrateReport } from "../sync/hydrate.ts";
import { hydrateBundleScript, hydrateScript, type RemoteScript } from "../ssh/scripts.ts";
import type { Box } from "./box.ts";

export interface HydrateInput {
  gitRoot: string;
  workdir: string;
  repo: string;
  /** A credential-free origin the box may fetch from, or null. */
  origin: string | null;
  base: string;
  head: string;
  /** The local branch, or "" when HEAD is detached. */
  branch: string;
}

const decoder = new TextDecoder();

/** The first step: from the box's own objects or origin; else the box says what it has (NEED). */
export function fetchStepScript(box: Pick<Box, "workRoot">, input: HydrateInput): RemoteScript {
  const where = { workRoot: box.workRoot, repo: input.repo, workdir: input.workdir };
  return hydrateScript({ ...where, ...input, origin: input.origin ?? "" });
}

/**
 * The words for the `sync complete` line: `hydrated main`, `hydrated <sha> via bundle` or `hydrate failed`.
 * `fetched`: the first step's report when it already ran (in the prune's channel).
 */
export async function hydrate(
  ctx: { deps: Pick<Deps, "proc">; out: Output },
  box: Pick<Box, "run" | "workRoot">,
  input: HydrateInput,
  fetched?: HydrateReport,
): Promise<string> {
  const { out } = ctx;
  const where = { workRoot: box.workRoot, repo: input.repo, workdir: input.workdir };
  const report = fetched ?? await runReport(box, fetchStepScript(box, input));
  if (report.noBase) out.warn(`hydrate: could not fetch origin/${input.base}`);
  if (report.kind === "hydrated") return `hydrated ${input.origin && input.base || input.head.slice(0, 12)}`;
  if (report.kind === "failed") return failed(out, report.reason);
  if (report.origin) out.debug(`hydrate: origin cannot serve ${input.head.slice(0, 12)}: ${report.origin}`);

  // Only what the box lacks when it has a commit we know; the full history if that bundle fails.
  let reason = "";
  for (const base of report.boxHead ? [report.boxHead, null] : [null]) {
    const made = await localBundle(ctx.deps, input.gitRoot, base);
    if ("error" in made) {
      reason = `git bundle failed locally: ${made.error}`;
      continue;
    }
    const { bytes, base: from } = made.bundle;
    out.debug(
      `hydrate bundle ${formatBytes(bytes.length)}, ${
        from ? `incremental from ${from.slice(0, 12)}` : "full history"
      }`,
    );
    const applied = await runReport(box, hydrateBundleScript({ ...where, ...input }), bytes);
    if (applied.kind === "hydrated") return `hydrated ${input.head.slice(0, 12)} via bundle`;
    reason = applied.kind === "failed" ? applied.reason : "the box did not take the bundle";
    if (!from) break;
    out.debug(`hydrate: the incremental bundle failed (${reason}); sending the full history`);
  }
  return failed(out, reason);
}

async function runReport(
  box: Pick<Box, "run">,
  script: RemoteScript,
  stdin?: Uint8Array,
): Promise<HydrateReport> {
  const result = await box.run(script, stdin);
  return parseHydrateReport(result.code, decoder.decode(result.stdout), decoder.decode(result.stderr));
}

function failed(out: Output, reason: string): string {
  out.warn(`hydrate skipped: ${reason}`);
  return "hydrate failed";
}

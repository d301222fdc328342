/**
 * The sync phase (SPEC §10.5): fingerprint check, rsync of the manifest, prune of what crabbox synced
 * before and is gone now, commit of manifest and fingerprint, then git hydration. Rules and scripts
 * come from sync/ and ssh/; this only runs them.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import { syncError } from "../core/errors.ts";
import { formatBytes, formatCount, shellJoin } from "../core/format.ts";
import { formatDurationMs } from "../core/duration.ts";
import { rsyncArgs } from "../sync/rsync.ts";
import { pruneList } from "../sync/manifest.ts";
import { idRecords } from "../sync/content_ids.ts";
import { encodePieces, nulTerminated } from "../sync/chunked.ts";
import {
  changedFilesScript,
  commitSyncScript,
  fullResyncScript,
  pruneScript,
  readSyncStateScript,
  splitPruneAnswer,
} from "../ssh/scripts.ts";
import type { Box } from "./box.ts";
import { fetchStepScript, hydrate } from "./hydrate_step.ts";
import { type HydrateReport, parseHydrateReport } from "../sync/hydrate.ts";
import type { SyncOptions } from "../sync/options.ts";
import { parseBoxSyncState } from "../sync/box_sync_state.ts";

export type { SyncOptions };

const QUIET_MS = 15_000;

/** What the sync step needs of a box: bookkeeping scripts and rsync's ssh. */
export type SyncBox = Pick<Box, "run" | "rsyncShell" | "destination" | "workRoot" | "leaseId">;

/** signal: the invocation's interrupt (a signal to crabbox alone must stop rsync too, at once). */
type SyncContext = { deps: Pick<Deps, "proc" | "fs" | "clock">; out: Output; signal?: AbortSignal };

function withInterrupt(interrupt: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return interrupt ? AbortSignal.any([interrupt, timeout]) : timeout;
}

/** A line every 15 s while rsync works quietly, so a long sync never looks hung. */
async function withProgress<T>(
  ctx: SyncContext,
  started: number,
  work: Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  const ticker = (async () => {
    while (!stop.signal.aborted) {
      await ctx.deps.clock.sleep(QUIET_MS, stop.signal).catch(() => {});
      if (!stop.signal.aborted) {
        ctx.out.waiting("sync in progress", ctx.deps.clock.now() - started);
      }
    }
  })();
  try {
    return await work;
  } finally {
    stop.abort();
    await ticker;
  }
}

export interface SyncResult {
  skipped: boolean;
  files: number;
  bytes: number;
  pruned: number;
  durationMs: number;
}

export function remoteWorkdir(workRoot: string, leaseId: string, repo: string): string {
  return `${workRoot}/${leaseId}/${repo}`;
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();

/** One rsync run over the given paths (NUL list on stdin); exit 24 warns, anything else fails. */
async function rsyncFiles(
  ctx: SyncContext,
  box: SyncBox,
  input: SyncOptions & { workdir: string; files: string[]; ignoreTimes: boolean },
  started: number,
): Promise<void> {
  const { deps, out } = ctx;
  const argv = rsyncArgs({
    sshCommand: box.rsyncShell(),
    destination: `${box.destination}:${input.workdir}/`,
    checksum: input.checksum,
    ignoreTimes: input.ignoreTimes,
    debug: out.options.debug,
  });
  out.debug(`rsync ${shellJoin(argv)}`);
  const list = encodePieces(nulTerminated(input.files));
  const result = await withProgress(
    ctx,
    started,
    deps.proc.run("rsync", argv, {
      cwd: input.gitRoot,
      stdin: list,
      signal: withInterrupt(ctx.signal, Math.max(1, input.timeoutSecs * 1000 - (deps.clock.now() - started))),
    }),
  );
  ctx.signal?.throwIfAborted();
  if (result.signal) {
    throw syncError(
      `rsync timed out after ${formatDurationMs(input.timeoutSecs * 1000)}`,
      "raise sync.timeout, or sync less (see crabbox sync-plan)",
    );
  }
  if (result.code === 24) out.warn("some files vanished during sync (rsync 24)");
  else if (result.code !== 0) {
    const stalled = result.code === 30 || result.code === 35;
    const last = decode(result.stderr).split("\n").at(-1) ?? "";
    throw syncError(
      stalled ? `rsync stalled (${result.code})` : `rsync failed (${result.code}): ${last}`,
      "re-run the command; an interrupted sync is redone in full next time",
    );
  }
}

export async function syncTree(
  ctx: SyncContext,
  box: SyncBox,
  /** remoteState: the box's sync state when already read (with the box lock), else read here. */
  input: SyncOptions & { workdir: string; repo: string; remoteState?: string },
): Promise<SyncResult> {
  const { deps, out } = ctx;
  const started = deps.clock.now();
  out.phase("sync", `comparing the tree with ${box.leaseId}`);
  const repoState = { workRoot: box.workRoot, repo: input.repo };
  if (input.fullResync) {
    await box.run(fullResyncScript({ workRoot: box.workRoot, leaseId: box.leaseId, repo: input.repo }));
  }
  const local = await input.tree.fingerprint;
  // A full resync has just wiped the workdir and its sync state: what sync_state.sh says of nothing.
  const state = input.fullResync
    ? "records none"
    : (input.remoteState?.trim() ?? decode((await box.run(readSyncStateScript(repoState))).stdout));
  const remote = parseBoxSyncState(state);
  const hydrating = input.hydrate && local.head
    ? { ...input.hydrate, gitRoot: input.gitRoot, workdir: input.workdir, repo: input.repo, head: local.head }
    : null;
  const hydrateBox = (fetched?: HydrateReport) => hydrate(ctx, box, hydrating!, fetched);
  const unchanged = remote.fingerprint === local.value && remote.source === input.source;
  if (unchanged && input.skipUnchanged && !input.checksum) {
    out.progress(`sync skipped: no changes (fingerprint ${local.value.slice(0, 8)})`);
    // The files are there, but a hydration that failed last time is retried.
    if (hydrating && remote.hydratedAt !== local.head) out.progress(await hydrateBox());
    return {
      skipped: true,
      files: input.tree.summary.files,
      bytes: input.tree.summary.bytes,
      pruned: 0,
      durationMs: 0,
    };
  }
  // The exact manifest and content ids: at hand when the tree was built, else built now (a memo hit).
  const { manifest, fingerprint: exact } = await input.tree.full();
  const counted = `${formatCount(manifest.files.length)} files ${formatBytes(manifest.bytes)}`;
  out.progress(`sync ${counted} -> ${input.workdir}`);
  out.phase("sync", counted);
  // rsync trusts size+mtime: files whose content id differs from the box's record are sent regardless.
  const comparing = box.run(changedFilesScript(repoState), idRecords(manifest.files, exact.ids));
  const changedFiles = async () => {
    const compare = await comparing;
    if (compare.code !== 0) {
      throw syncError(`could not compare content on the box (${compare.code}): ${decode(compare.stderr)}`);
    }
    const changed = new TextDecoder().decode(compare.stdout).split("\0").filter(Boolean);
    out.debug(`content changed since the last sync: ${formatCount(changed.length)} files`);
    return changed;
  };
  const transfer = (files: string[], options: { checksum: boolean; ignoreTimes: boolean }) =>
    rsyncFiles(ctx, box, { ...input, files, ...options }, started);
  if (input.checksum) {
    await changedFiles();
    await transfer(manifest.files, { checksum: true, ignoreTimes: false });
  } else if (!remote.hasRecords && remote.fingerprint === null) {
    // A box with no content ids (new, or wiped) needs every file: the comparison then only records the
    // ids for the commit, so it runs beside the transfer instead of a round trip before it.
    const [compared, sent] = await Promise.allSettled([
      changedFiles(),
      transfer(manifest.files, { checksum: false, ignoreTimes: true }),
    ]);
    if (sent.status === "rejected") throw sent.reason;
    if (compared.status === "rejected") throw compared.reason;
  } else {
    const changed = await changedFiles();
    if (changed.length) await transfer(changed, { checksum: false, ignoreTimes: true });
    // The rest by size+mtime, which also carries mode and mtime changes (skipped when all were sent).
    if (changed.length < manifest.files.length) {
      await transfer(manifest.files, { checksum: false, ignoreTimes: false });
    }
  }

  let pruned = 0;
  // Step 4, the commit, and hydration's first step ride the prune's channel when there is one: one
  // round trip for all three.
  const commit = commitSyncScript({ ...repoState, fingerprint: exact.value, source: input.source });
  let committed: number | null;
  let fetched: HydrateReport | undefined;
  if (input.prune) {
    const prune = await box.run(
      pruneScript({
        ...repoState,
        workdir: input.workdir,
        massDeleteLimit: input.massDeleteLimit,
        allowMassDelete: input.allowMassDelete,
        then: hydrating ? [commit, fetchStepScript(box, hydrating)] : [commit],
      }),
      pruneList(manifest),
    );
    const text = decode(prune.stdout);
    if (prune.code === 66) {
      const [first, ...samples] = text.split("\n");
      const count = Number(first.split(" ")[1] ?? 0);
      throw syncError(
        `sync would delete ${formatCount(count)} files on the box (limit ${input.massDeleteLimit})${
          samples.length ? `: ${samples.join(", ")}` : ""
        }`,
        "re-run with --allow-mass-delete if intended",
      );
    }
    if (prune.code !== 0) throw syncError(`prune failed on the box (${prune.code}): ${decode(prune.stderr)}`);
    const { own, steps: [committing, fetching] } = splitPruneAnswer(text);
    pruned = Number(own.match(/PRUNED (\d+)/)?.[1] ?? 0);
    committed = committing?.code ?? null;
    if (fetching) fetched = parseHydrateReport(fetching.code, fetching.stdout, decode(prune.stderr));
  } else {
    committed = (await box.run(commit)).code;
  }
  if (committed !== 0) {
    out.warn(`could not record the sync on the box (${committed ?? "no answer"}); the next run resyncs`);
  }

  const hydrated = hydrating ? await hydrateBox(fetched) : "hydrated off";
  const durationMs = deps.clock.now() - started;
  out.progress(`sync complete in ${formatDurationMs(durationMs)} (pruned ${pruned}, ${hydrated})`);
  return {
    skipped: false,
    files: manifest.files.length,
    bytes: manifest.bytes,
    pruned,
    durationMs,
  };
}

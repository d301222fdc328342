/**
 * The sync phase: the git manifest goes over rsync's stdin (--files-from=- --from0) into
 * <workRoot>/<lease>/<repo>. Rules and argv come from sync/; this only runs them.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import { syncError } from "../core/errors.ts";
import { formatBytes, formatCount } from "../core/format.ts";
import { formatDurationMs } from "../core/duration.ts";
import { rsyncArgs } from "../sync/rsync.ts";
import type { Manifest } from "../sync/manifest.ts";
import type { Box } from "./box.ts";

export interface SyncResult {
  files: number;
  bytes: number;
  durationMs: number;
}

export function remoteWorkdir(workRoot: string, leaseId: string, repo: string): string {
  return `${workRoot}/${leaseId}/${repo}`;
}

export async function syncTree(
  ctx: { deps: Deps; out: Output },
  box: Box,
  input: { gitRoot: string; manifest: Manifest; workdir: string; checksum: boolean },
): Promise<SyncResult> {
  const { deps, out } = ctx;
  const started = deps.clock.now();
  out.progress(
    `sync ${formatCount(input.manifest.files.length)} files ${
      formatBytes(input.manifest.bytes)
    } -> ${input.workdir}`,
  );
  const mkdir = await box.script('mkdir -p -- "$1" && cd -- "$1" && { [ -d .git ] || git init -q; }', [
    input.workdir,
  ]);
  if (mkdir.code !== 0) {
    throw syncError(
      `could not prepare ${input.workdir} on the box (${mkdir.code}): ${decode(mkdir.stderr)}`,
      "check the box with: crabbox status --json",
    );
  }
  const argv = rsyncArgs({
    sshCommand: box.rsyncShell(),
    destination: `${box.destination}:${input.workdir}/`,
    checksum: input.checksum,
    debug: ctx.out.options.debug,
  });
  ctx.out.debug(`rsync ${argv.join(" ")}`);
  const manifestBytes = new TextEncoder().encode(input.manifest.files.map((f) => f + "\0").join(""));
  const result = await deps.proc.run("rsync", argv, { cwd: input.gitRoot, stdin: manifestBytes });
  if (result.code === 24) out.warn("some files vanished during sync (rsync 24)");
  else if (result.code !== 0) {
    const stalled = result.code === 30 || result.code === 35;
    throw syncError(
      stalled
        ? `rsync stalled (${result.code})`
        : `rsync failed (${result.code}): ${lastLine(decode(result.stderr))}`,
      "re-run the command; a sync is safe to repeat",
    );
  }
  const durationMs = deps.clock.now() - started;
  out.progress(`sync complete in ${formatDurationMs(durationMs)}`);
  return { files: input.manifest.files.length, bytes: input.manifest.bytes, durationMs };
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).trim();
}

function lastLine(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines.at(-1) ?? "";
}

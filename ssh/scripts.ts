/**
 * Remote bash scripts (ssh/scripts/*.sh, shellcheck-clean) sent as the ssh command text, never installed
 * on the box. They are text imports, so `deno compile` embeds them and nothing is read at run time.
 * Values travel as positional arguments ($1…), each single-quoted by the caller, never spliced in.
 */
import { usageError } from "../core/errors.ts";
import { ENV_NAME } from "../config/env_allow.ts";
import checkpointFlush from "./scripts/checkpoint_flush.sh" with { type: "text" };
import changedFiles from "./scripts/changed_files.sh" with { type: "text" };
import commitSync from "./scripts/commit_sync.sh" with { type: "text" };
import doctorProbe from "./scripts/doctor_probe.sh" with { type: "text" };
import exec from "./scripts/exec.sh" with { type: "text" };
import fullResync from "./scripts/full_resync.sh" with { type: "text" };
import hydrate from "./scripts/hydrate.sh" with { type: "text" };
import kill from "./scripts/kill.sh" with { type: "text" };
import listGlobs from "./scripts/list_globs.sh" with { type: "text" };
import lock from "./scripts/lock.sh" with { type: "text" };
import makeWorkdir from "./scripts/make_workdir.sh" with { type: "text" };
import pondHosts from "./scripts/pond_hosts.sh" with { type: "text" };
import preflight from "./scripts/preflight.sh" with { type: "text" };
import prune from "./scripts/prune.sh" with { type: "text" };
import readExit from "./scripts/read_exit.sh" with { type: "text" };
import syncState from "./scripts/sync_state.sh" with { type: "text" };

const SCRIPTS = {
  changed_files: changedFiles,
  checkpoint_flush: checkpointFlush,
  commit_sync: commitSync,
  doctor_probe: doctorProbe,
  exec,
  full_resync: fullResync,
  hydrate,
  kill,
  list_globs: listGlobs,
  lock,
  make_workdir: makeWorkdir,
  pond_hosts: pondHosts,
  preflight,
  prune,
  read_exit: readExit,
  sync_state: syncState,
};

/** The file name under ssh/scripts/, without `.sh`. */
export type ScriptName = keyof typeof SCRIPTS;

export interface RemoteScript {
  name: ScriptName;
  script: string;
  args: string[];
}

function remote(name: ScriptName, args: string[]): RemoteScript {
  return { name, script: SCRIPTS[name], args };
}

/**
 * SPEC §9.5: argv mode execs the words as given; shell mode runs one string under bash -lc. SPEC §9.4:
 * the channel's stdin starts with `envBytes` bytes of renderEnvFile output, written to a 0600 file the
 * command sources (values never on a command line); a failed write exits 74 before the command starts.
 */
export function execScript(input: {
  workRoot: string;
  workdir: string;
  runId: string;
  envBytes?: number;
  argv?: string[];
  shell?: string;
}): RemoteScript {
  const mode = input.shell !== undefined ? "shell" : "argv";
  const words = input.shell !== undefined ? [input.shell] : input.argv ?? [];
  return remote("exec", [
    input.workRoot,
    input.workdir,
    input.runId,
    String(input.envBytes ?? 0),
    mode,
    ...words,
  ]);
}

/** Prints the recorded exit status, `lost <status>` when the watchdog stopped it, or `running` / `dead`. */
export function readExitScript(input: { workRoot: string; runId: string }): RemoteScript {
  return remote("read_exit", [input.workRoot, input.runId]);
}

/** Signals the command's process group (second channel; Ctrl-C and --timeout). */
export function killScript(
  input: { workRoot: string; runId: string; signal: "TERM" | "KILL" },
): RemoteScript {
  return remote("kill", [input.workRoot, input.runId, input.signal]);
}

/** Before `checkpoint create` snapshots the box (lock held): drops env files, syncs; prints FLUSHED. */
export function checkpointFlushScript(input: { workRoot: string }): RemoteScript {
  return remote("checkpoint_flush", [input.workRoot]);
}

/**
 * SPEC §8.1: the box lock, held by this channel with flock. Prints LOCKED and blocks on stdin, or
 * prints `BUSY <owner json>` and exits 75. Never waits on the box: the client retries.
 */
export function lockScript(
  input: { workRoot: string; ownerJson: string; syncStateOf?: string },
): RemoteScript {
  // With a repo, the sync state (readSyncStateScript's output) follows LOCKED: one round trip for both.
  const state = input.syncStateOf === undefined ? [] : [SCRIPTS.sync_state, input.syncStateOf];
  return remote("lock", [input.workRoot, input.ownerJson, ...state]);
}

/**
 * Prints `<fingerprint> <source>` of the last completed sync of this repo to the box (or nothing),
 * then `hydrated <commit>` once the workdir's git is at that commit.
 */
export function readSyncStateScript(input: { workRoot: string; repo: string }): RemoteScript {
  return remote("sync_state", [input.workRoot, input.repo]);
}

/**
 * SPEC §10.5 step 3: deletes only paths crabbox synced before that are gone from the new manifest
 * (stdin, NUL-separated). Never .git, never a path crabbox did not sync; a mass deletion exits 66.
 * Prints `PRUNED <n>`; the `then` scripts follow in the same channel, one round trip for all
 * (splitPruneAnswer reads their answers).
 */
export function pruneScript(input: {
  workRoot: string;
  repo: string;
  workdir: string;
  massDeleteLimit: number;
  allowMassDelete: boolean;
  then?: RemoteScript[];
}): RemoteScript {
  const then = (input.then ?? []).flatMap((step) => [step.script, String(step.args.length), ...step.args]);
  return remote("prune", [
    input.workRoot,
    input.repo,
    input.workdir,
    String(input.massDeleteLimit),
    input.allowMassDelete ? "1" : "0",
    ...then,
  ]);
}

/** A step's answer inside prune's channel: its own output and exit status. */
export interface StepAnswer {
  stdout: string;
  code: number;
}

/** prune.sh's stdout: its own lines up to `PRUNED <n>`, then each `then` step's, ended by `DONE <status>`. */
export function splitPruneAnswer(stdout: string): { own: string; steps: StepAnswer[] } {
  const pruned = stdout.match(/^PRUNED \d+(\n|$)/m);
  if (!pruned) return { own: stdout, steps: [] };
  const end = pruned.index! + pruned[0].length;
  const parts = stdout.slice(end).split(/\nDONE (\d+)(?:\n|$)/);
  const steps: StepAnswer[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) steps.push({ stdout: parts[i], code: Number(parts[i + 1]) });
  return { own: stdout.slice(0, end), steps };
}

/**
 * Before the transfer: stdin is the `<content id> <path>\0` list of what is about to be sent. Prints,
 * NUL-separated, the paths whose content id differs from the box's record of the last sync (or that
 * it has no record of): rsync must not trust size+mtime for those.
 */
export function changedFilesScript(input: { workRoot: string; repo: string }): RemoteScript {
  return remote("changed_files", [input.workRoot, input.repo]);
}

/**
 * SPEC §10.5 step 4: manifest, content ids and fingerprint are committed only after transfer and
 * prune succeeded.
 */
export function commitSyncScript(
  input: { workRoot: string; repo: string; fingerprint: string; source: string },
): RemoteScript {
  return remote("commit_sync", [input.workRoot, input.repo, input.fingerprint, input.source]);
}

/** --full-resync: forget the workdir and the sync state of this repo on this lease. */
export function fullResyncScript(input: { workRoot: string; leaseId: string; repo: string }): RemoteScript {
  return remote("full_resync", [input.workRoot, input.leaseId, input.repo]);
}

/**
 * `export NAME='value'` lines, single quotes escaped. The file is sourced by bash on the box, so a name
 * is the one part that cannot be quoted: anything but a plain variable name is refused, whatever passed it.
 */
export function renderEnvFile(vars: Record<string, string>): string {
  return Object.entries(vars).map(([name, value]) => {
    if (!ENV_NAME.test(name)) {
      throw usageError(
        `refusing to forward ${JSON.stringify(name)}: not a valid environment variable name`,
        "variable names are letters, digits and _, not starting with a digit; rename or unset it",
      );
    }
    return `export ${name}='${value.replaceAll("'", `'\\''`)}'\n`;
  }).join("");
}

/**
 * SPEC §10.6: the workdir becomes a git checkout at the local HEAD, fetched from origin when the box
 * can, and the base ref fetched. Prints HYDRATED; or `NEED <box HEAD|none>` (after `ORIGIN <error>`
 * if origin could not serve it) when the commit must come in a bundle; or `FAIL <git error>`.
 * Always clears the `hydrated` mark first, so a failure is retried by the next run.
 */
export function hydrateScript(
  input: {
    workRoot: string;
    repo: string;
    workdir: string;
    origin: string;
    head: string;
    base: string;
    branch: string;
  },
): RemoteScript {
  const { workRoot, repo, workdir, head, branch, origin, base } = input;
  return remote("hydrate", [workRoot, repo, workdir, head, branch, "fetch", origin, base]);
}

/** stdin is a git bundle holding the local HEAD: unbundled into the workdir's repository, then checked out. */
export function hydrateBundleScript(
  input: { workRoot: string; repo: string; workdir: string; head: string; branch: string },
): RemoteScript {
  return remote("hydrate", [input.workRoot, input.repo, input.workdir, input.head, input.branch, "bundle"]);
}

/** NUL pairs `path\0size\0` of regular files matching the globs under the workdir (links not followed). */
export function listGlobsScript(input: { workdir: string; globs: string[] }): RemoteScript {
  return remote("list_globs", [input.workdir, ...input.globs]);
}

/**
 * run.preflightTools: prints each tool that `command -v` cannot find, one per line, in a login shell (the
 * PATH the command's bash -lc sees), from the workdir. Always exits 0; the caller decides.
 */
export function preflightScript(input: { workdir: string; tools: string[] }): RemoteScript {
  return remote("preflight", [input.workdir, ...input.tools]);
}

/** A run that syncs nothing still needs its workdir. */
export function makeWorkdirScript(input: { workdir: string }): RemoteScript {
  return remote("make_workdir", [input.workdir]);
}

/** `crabbox doctor`'s look at the box: `key=value` lines (lease/doctor_checks.ts parses them). */
export function doctorProbeScript(input: { workRoot: string }): RemoteScript {
  return remote("doctor_probe", [input.workRoot]);
}

/** A pond member's /etc/hosts block, replaced in place; idempotent (the block from labels/pond.ts). */
export function pondHostsScript(input: { block: string; file?: string }): RemoteScript {
  return remote("pond_hosts", [input.file ?? "/etc/hosts", input.block]);
}

/** `crabbox run`'s own flags (the lease-create ones are in lease_options.ts). */
import { Command, Option } from "@commander-js/extra-typings";
import type { LeaseCreateFlags } from "./lease_options.ts";
import { STOP_POLICIES } from "../config/schema.ts";

export interface RunFlags extends LeaseCreateFlags {
  id?: string;
  pool?: string | true;
  stop?: string;
  stopAfter?: string;
  keepOnFailure?: boolean;
  sync?: boolean;
  syncOnly?: boolean;
  checksum?: boolean;
  fullResync?: boolean;
  forceSyncLarge?: boolean;
  allowMassDelete?: boolean;
  gitHydrate?: boolean;
  shell?: boolean;
  workdir?: string;
  lockTimeout?: string;
  timeout?: string;
  allowEnv?: string[];
  junit?: string[];
  artifact?: string[];
  requireArtifact?: string[];
  download?: string[];
  resultJson?: string;
}

/** Repeatable flags append. */
const collectValues = (value: string, previous: string[] = []) => [...previous, value];

export function addRunOptions<T extends Command<unknown[], Record<string, unknown>>>(command: T): T {
  command
    .option("--id <id>", "use an existing lease (cbx_… id, slug, server id or name)")
    .option("--pool [name]", "claim an idle box of a warm pool (default pool: default)")
    .addOption(new Option("--stop <policy>", "when to delete the box afterwards").choices(STOP_POLICIES))
    .addOption(new Option("--stop-after <policy>").choices(STOP_POLICIES).hideHelp())
    .option(
      "--keep-on-failure",
      "when the run fails, keep the box to inspect (for a fresh box: same as --stop success)",
    )
    .option("--no-sync", "do not sync the working tree")
    .option("--sync-only", "lease, lock and sync like a run, but run no command (e.g. to prime a box)")
    .option("--checksum", "compare file contents, not sizes and times, when syncing")
    .option("--full-resync", "wipe the remote copy and sync everything again")
    .option("--force-sync-large", "sync even a tree over the size guardrails")
    .option("--allow-mass-delete", "let a sync delete more than sync.massDeleteLimit files on the box")
    .option("--no-git-hydrate", "do not make the remote copy a git checkout (sync.hydrate: false)")
    .option(
      "--no-hydrate",
      "the Go crabbox CLI's 'skip Actions hydration': accepted, changes nothing (there is none here)",
    )
    .option("--shell", "run the command under bash -lc")
    .option("--workdir <dir>", "run in this directory, relative to the synced tree")
    .option("--lock-timeout <duration>", "how long to wait for a busy box (default 10m)")
    .option("--timeout <duration>", "stop the command after this long (exit 5)")
    .option(
      "--allow-env <names>",
      "also forward these local variables (comma-separated, repeatable; PREFIX_* allowed)",
      (
        value: string,
        previous: string[] = [],
      ) => [...previous, ...value.split(",").map((s) => s.trim()).filter(Boolean)],
    )
    .option(
      "--junit <glob>",
      "after the command, pull matching JUnit XML (relative to the workdir) and print the totals (repeatable)",
      collectValues,
    )
    .option(
      "--artifact <glob>",
      "after the command, pull matching files into .crabbox-results/run/artifacts/ (repeatable)",
      collectValues,
    )
    .option(
      "--require-artifact <glob>",
      "like --artifact, and a passing command exits 7 when it matches nothing (repeatable)",
      collectValues,
    )
    .option(
      "--download <remote=local>",
      "copy one remote file (relative to the workdir) to local: relative to the repo root, or absolute (repeatable)",
      collectValues,
    )
    .option(
      "--result-json <file>",
      "write the result document (schema crabbox.job-result/v1): relative to the repo root, or absolute",
    );
  return command;
}

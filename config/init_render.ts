/**
 * The `.crabbox.yaml` that `crabbox init` writes, with a short comment above each key. Only keys both
 * CLIs read with the same meaning (config/compat.ts: `same` in the Go CLI's schema), so the file works
 * for this crabbox and for the Go crabbox CLI alike. Pure: the choices in, the text out.
 */
import { stringify } from "yaml";
import { CLASS_NAMES, serverTypesFor } from "../lease/classes.ts";
import { KEYS } from "./schema.ts";
import type { ProjectKind } from "./init_detect.ts";

/** The name of the job init proposes. */
export const INIT_JOB = "test";

export interface InitChoice {
  /** What was detected (named in the header). */
  kinds: ProjectKind[];
  class: string;
  /** The test job's command, or null for no job. */
  testCommand: string | null;
  /** Tools the command needs, suggested (commented out) for run.preflightTools. */
  tools: string[];
  excludes: string[];
  envAllow: string[];
}

/** A YAML scalar on one line: plain when that reads back the same, else quoted. */
export function yamlScalar(value: string): string {
  const text = stringify(value, { lineWidth: 0 }).trimEnd();
  return text.includes("\n") ? JSON.stringify(value) : text;
}

const list = (values: string[], indent: string) =>
  values.length === 0 ? " []" : values.map((v) => `\n${indent}- ${yamlScalar(v)}`).join("");

export function renderInitConfig(choice: InitChoice): string {
  const detected = choice.kinds.length > 0 ? choice.kinds.join(", ") : "no known project kind";
  const beast = serverTypesFor("beast", undefined)[0];
  const defaultAllow = (KEYS["env.allow"].default as string[]).join(", ");
  const lines = [
    `# crabbox settings for this repository, written by \`crabbox init\` (detected: ${detected}).`,
    "# Read by this crabbox and by the Go crabbox CLI; `crabbox config show` prints every setting",
    "# with where it comes from.",
    "",
    `# Machine class: ${CLASS_NAMES.join(", ")}, or an exact server type.`,
    `# Unset, it is beast (a ${beast} with 48 vCPUs, the most expensive): pick the smallest that is fast enough.`,
    `class: ${yamlScalar(choice.class)}`,
    "",
    "# The box is deleted at the earlier of ttl after creation and idleTimeout after its last use.",
    "# ttl: 90m",
    "# idleTimeout: 30m",
    "",
    "sync:",
    "  # Never sent to the box, on top of the built-in excludes (.git, node_modules, .venv, .env*,",
    "  # keys, logs, …); `!pattern` re-includes. `crabbox sync-plan` shows what a run would send.",
    `  exclude:${list(choice.excludes, "    ")}`,
    "",
    "env:",
    "  # Local variables forwarded to the box (names, or PREFIX_*). Replaces the default list",
    `  # (${defaultAllow}); values never appear in output. Secret-looking names are refused here.`,
    `  allow:${list(choice.envAllow, "    ")}`,
    "",
  ];
  if (choice.tools.length > 0) {
    lines.push(
      "# Uncomment to check, before each command, that the box has these tools (exit 7 naming the",
      "# missing ones). It applies to every run, `crabbox run -- apt-get …` too.",
      "# run:",
      `#   preflightTools: [${choice.tools.join(", ")}]`,
      "",
    );
  }
  const job = choice.testCommand === null
    ? [
      "# No test command was detected. A job looks like this (run it with `crabbox job run test`):",
      "# jobs:",
      "#   test:",
      "#     shell: true",
      "#     command: make test",
      "#     stop: auto",
    ]
    : [
      "jobs:",
      `  # \`crabbox job run ${INIT_JOB}\`: lease a box, sync, run the command, collect, release the box.`,
      `  # \`crabbox job run ${INIT_JOB} --dry-run\` prints the plan offline.`,
      `  ${INIT_JOB}:`,
      "    # Run the command under bash -lc (so &&, quotes and $VARS work), in both CLIs.",
      "    shell: true",
      "    # Runs in the box's copy of the repository (its root).",
      `    command: ${yamlScalar(choice.testCommand)}`,
      "    # When to delete the box after the run: auto (the box this job leased), always, success,",
      "    # failure, never.",
      "    stop: auto",
    ];
  return [...lines, ...job, ""].join("\n");
}

/**
 * `crabbox init`'s use case: find the repo, refuse to replace its config without --force, detect the
 * project (config/init_detect.ts), let the person adjust the proposal on a terminal, render it
 * (config/init_render.ts), check that it loads, and write it. Every read, write and question goes
 * through Deps.
 */
import { join } from "node:path";
import type { Deps, FileSystem, Prompter } from "../core/deps.ts";
import { CrabboxError, usageError } from "../core/errors.ts";
import { findGitRoot } from "../sync/manifest.ts";
import { CLASS_NAMES, serverTypesFor } from "../lease/classes.ts";
import { findRepoConfig } from "./load.ts";
import { KEYS } from "./schema.ts";
import { readConfigFile } from "./validate.ts";
import { Problems } from "./problems.ts";
import { type Detection, detectProject, PROBE_FILES, type RepoSnapshot } from "./init_detect.ts";
import { INIT_JOB, type InitChoice, renderInitConfig } from "./init_render.ts";

/** Proposed when neither --class nor an answer picks one: enough for most test suites, a fraction of beast. */
export const INIT_CLASS = "standard";
/** Root files detection reads are small; a bigger one is not read (its kind is still seen by name). */
const MAX_PROBE_BYTES = 1024 * 1024;
/** Spellings neither crabbox CLI reads (config/load.ts finds .crabbox.yaml and crabbox.yaml only). */
const UNREAD_NAMES = [".crabbox.yml", "crabbox.yml"];

export interface InitOptions {
  class?: string;
  testCommand?: string;
  /** Take the proposal without asking. */
  yes: boolean;
  force: boolean;
  /** Return the text instead of writing it. */
  print: boolean;
  signal?: AbortSignal;
}

export interface InitResult {
  path: string;
  written: boolean;
  /** An existing repo config was replaced (--force). */
  replaced: boolean;
  /** Config-like files at the root that no crabbox reads (`.crabbox.yml`): their settings are not in this one. */
  unread: string[];
  content: string;
  choice: InitChoice;
}

export async function initRepoConfig(
  deps: Pick<Deps, "fs" | "proc" | "prompt">,
  options: InitOptions,
): Promise<InitResult> {
  const classProblem = options.class === undefined ? null : KEYS.class.check!(options.class);
  if (classProblem) throw usageError(`--class ${options.class}: ${classProblem}`, KEYS.class.hint);
  if (options.testCommand !== undefined && options.testCommand.trim() === "") {
    throw usageError(
      "--test-command is empty",
      "pass the command that runs the tests, e.g. --test-command 'make test'",
    );
  }
  const cwd = deps.fs.cwd();
  const root = await findGitRoot(deps, cwd).catch((error) => {
    if (!(error instanceof CrabboxError) || error.kind !== "sync") throw error; // git itself is missing
    throw usageError(
      `${cwd} is not inside a git repository`,
      "run crabbox init in your repository (git init first)",
    );
  });
  const existing = await findRepoConfig(deps.fs, root);
  if (existing && !options.force && !options.print) {
    throw usageError(
      `${existing} already exists`,
      "pass --force to replace it, or --print to see the proposal",
    );
  }
  const path = existing ?? join(root, ".crabbox.yaml");
  const snapshot = await readSnapshot(deps.fs, root);
  const detection = detectProject(snapshot);
  let choice = propose(detection, options);
  if (deps.prompt.interactive && !options.yes) {
    choice = await ask(deps.prompt, choice, detection, options);
  }
  const content = renderInitConfig(choice);
  // The file must load here, with no problem; a value typed in (a secret-looking command) can still fail.
  const problems = new Problems();
  readConfigFile(content, path, "repo", problems);
  problems.throwIfAny();
  if (!options.print) await deps.fs.writeTextFile(path, content, { mode: 0o644 });
  const unread = UNREAD_NAMES.filter((name) => snapshot.names.includes(name)).map((name) => join(root, name));
  return { path, written: !options.print, replaced: !!existing && !options.print, unread, content, choice };
}

/** The proposal before any question: flags win over detection. */
export function propose(
  detection: Detection,
  options: Pick<InitOptions, "class" | "testCommand">,
): InitChoice {
  const command = options.testCommand?.trim() ?? detection.commands[0]?.command ?? null;
  return {
    kinds: detection.kinds,
    class: options.class ?? INIT_CLASS,
    testCommand: command,
    tools: detection.commands.find((c) => c.command === command)?.tools ?? [],
    excludes: detection.excludes,
    envAllow: detection.envAllow,
  };
}

const OTHER = "\0other";
const NONE = "\0none";

/** Class, test command and excludes, each asked unless a flag set it. null answers cancel. */
async function ask(
  prompt: Prompter,
  proposal: InitChoice,
  detection: Detection,
  options: InitOptions,
): Promise<InitChoice> {
  const { signal } = options;
  const answered = <T>(answer: T | null): T => {
    if (answer === null) {
      throw new CrabboxError("interrupted", "init cancelled; nothing written", { exitCode: 130 });
    }
    return answer;
  };
  const choice = { ...proposal };
  if (options.class === undefined) {
    choice.class = answered(
      await prompt.select({
        message: "Machine class for this repository's runs",
        choices: CLASS_NAMES.map((name) => ({
          value: name,
          label: name,
          hint: serverTypesFor(name, undefined)[0],
        })),
        initial: proposal.class,
        signal,
      }),
    );
  }
  if (options.testCommand === undefined) {
    let command: string | null = null;
    if (detection.commands.length > 0) {
      const picked = answered(
        await prompt.select({
          message: `Command of the \`${INIT_JOB}\` job`,
          choices: [
            ...detection.commands.map((c) => ({ value: c.command, label: c.command, hint: c.kind })),
            { value: OTHER, label: "another command…" },
            { value: NONE, label: "no job" },
          ],
          initial: proposal.testCommand ?? OTHER,
          signal,
        }),
      );
      command = picked === NONE ? null : picked === OTHER ? "" : picked;
    } else command = "";
    if (command === "") {
      const typed = answered(
        await prompt.text({
          message: `Command of the \`${INIT_JOB}\` job (empty: no job)`,
          initial: "",
          signal,
        }),
      ).trim();
      command = typed === "" ? null : typed;
    }
    choice.testCommand = command;
    choice.tools = detection.commands.find((c) => c.command === command)?.tools ?? [];
  }
  const excludes = answered(
    await prompt.text({
      message: "Sync excludes, comma-separated (on top of the built-in ones)",
      initial: proposal.excludes.join(", "),
      validate: (value) => KEYS["sync.exclude"].check!(splitList(value)),
      signal,
    }),
  );
  choice.excludes = splitList(excludes);
  return choice;
}

export function splitList(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** The root's names, the probe files' text and tests/'s names; only regular files are opened. */
export async function readSnapshot(fs: FileSystem, root: string): Promise<RepoSnapshot> {
  const entries = await fs.readDir(root);
  const names = entries.map((e) => e.name);
  const texts: RepoSnapshot["texts"] = {};
  for (const name of PROBE_FILES) {
    if (!names.includes(name)) continue;
    const info = await fs.lstat(join(root, name));
    if (!info?.isFile || info.size > MAX_PROBE_BYTES) continue;
    texts[name] = await fs.readTextFile(join(root, name)).catch(() => undefined);
  }
  const tests = entries.find((e) => e.name === "tests" && e.isDirectory);
  const testsDir = tests ? (await fs.readDir(join(root, "tests")).catch(() => [])).map((e) => e.name) : [];
  return { names, texts, testsDir };
}

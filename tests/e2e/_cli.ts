/**
 * Runs the real CLI (`deno run main.ts …`) as a user would, against a harness, in a sample git repo.
 */
import { fileURLToPath } from "node:url";
import type { Harness } from "../harness/harness.ts";

export const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
export const PERMISSIONS_FILE = fileURLToPath(new URL("../../tools/permissions", import.meta.url));

/** tools/permissions: the flags ./crabbox and the release binary run with, comments dropped. */
export function readPermissions(path = PERMISSIONS_FILE): string[] {
  return Deno.readTextFileSync(path).split("\n").map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}

/** Exactly the release permissions, never -A: a call that needs more fails the e2e tests. */
export const PERMISSIONS = ["--no-prompt", ...readPermissions()];

/** A crabbox-owned label set for servers planted through the API (sweep and doctor tests). */
export const ownedLabels = (lease: string, extra: Record<string, string>) => ({
  crabbox: "true",
  created_by: "crabbox",
  provider: "hetzner",
  lease,
  slug: `s-${lease.slice(-4)}`,
  keep: "false",
  state: "ready",
  ttl_secs: "5400",
  ...extra,
});

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  home: string;
  repo: string;
  env: Record<string, string>;
  crabbox(args: string[], options?: { cwd?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Starts crabbox and returns the child plus collectors (for signals mid-run). */
  spawn(args: string[], options?: { env?: Record<string, string> }): RunningCli;
  cleanup(): Promise<void>;
}

export interface RunningCli {
  child: Deno.ChildProcess;
  /** Resolves once stdout contains the text. */
  waitForStdout(text: string): Promise<void>;
  /** Resolves once stderr contains the text. */
  waitForStderr(text: string): Promise<void>;
  done: Promise<CliResult>;
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.email=test@example.invalid", "-c", "user.name=test", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** A temp HOME/XDG tree and a committed sample repo with a dirty change. */
export async function sandbox(harness: Harness, extraEnv: Record<string, string> = {}): Promise<Sandbox> {
  const home = await Deno.makeTempDir({ prefix: "cbx-e2e-" });
  const repo = `${home}/webapp`;
  await Deno.mkdir(`${repo}/src`, { recursive: true });
  await Deno.writeTextFile(`${repo}/src/app.js`, "console.log('hello');\n");
  await Deno.writeTextFile(`${repo}/README.md`, "# webapp\n");
  await git(repo, "init", "-q");
  await git(repo, "add", ".");
  await git(repo, "commit", "-qm", "sample");
  await Deno.writeTextFile(`${repo}/README.md`, "# webapp\ndirty\n");
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    // Keep Deno's module cache: the sandbox HOME must not trigger fresh npm downloads.
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_STATE_HOME: `${home}/.local/state`,
    XDG_RUNTIME_DIR: `${home}/run`,
    HCLOUD_ENDPOINT: harness.endpoint,
    HCLOUD_TOKEN: harness.token,
    CRABBOX_NO_SWEEP: "1",
    NO_COLOR: "1",
    ...extraEnv,
  };
  await Deno.mkdir(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
  const command = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...PERMISSIONS, MAIN, ...args],
      cwd: options.cwd ?? repo,
      env: { ...env, ...options.env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
  return {
    home,
    repo,
    env,
    async crabbox(args, options) {
      const out = await command(args, options).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    },
    spawn(args, options) {
      const child = command(args, options).spawn();
      let stdout = "";
      let stderr = "";
      const waiters: { text: string; stream: "stdout" | "stderr"; resolve: () => void }[] = [];
      const wake = () => {
        for (const w of waiters) if ((w.stream === "stdout" ? stdout : stderr).includes(w.text)) w.resolve();
      };
      const pump = async (stream: ReadableStream<Uint8Array>, onText: (t: string) => void) => {
        for await (const chunk of stream.pipeThrough(new TextDecoderStream())) onText(chunk);
      };
      const outDone = pump(child.stdout, (t) => {
        stdout += t;
        wake();
      });
      const errDone = pump(child.stderr, (t) => {
        stderr += t;
        wake();
      });
      const done = (async () => {
        const status = await child.status;
        await Promise.all([outDone, errDone]);
        return { code: status.code, stdout, stderr };
      })();
      // Bounded by the process itself: if it exits first, the wait fails with its output.
      const waitFor = (text: string, stream: "stdout" | "stderr") =>
        (stream === "stdout" ? stdout : stderr).includes(text) ? Promise.resolve() : Promise.race([
          new Promise<void>((resolve) => waiters.push({ text, stream, resolve })),
          done.then((r) => {
            throw new Error(`crabbox exited ${r.code} before printing ${JSON.stringify(text)}:\n${r.stderr}`);
          }),
        ]);
      return {
        child,
        waitForStdout: (text) => waitFor(text, "stdout"),
        waitForStderr: (text) => waitFor(text, "stderr"),
        done,
      };
    },
    cleanup: () => Deno.remove(home, { recursive: true }),
  };
}

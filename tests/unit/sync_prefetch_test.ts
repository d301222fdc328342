/**
 * The startup prefetch (core/prefetch.ts, sync/prefetch.ts): an early answer serves the first identical
 * run() only, calls with input or another directory never get one, the root is guessed from `.git`,
 * and a tree opened on a prefetching runner is the tree opened without one, with git status asked once.
 */
import assert from "node:assert/strict";
import type { ProcessRunner, RunOptions, RunResult } from "../../core/deps.ts";
import { withPrefetch } from "../../core/prefetch.ts";
import { realFs, realProcess } from "../../core/runtime.ts";
import { guessGitRoot, prefetchRepository, syncsRepository } from "../../sync/prefetch.ts";
import { GIT_STATUS } from "../../sync/git_queries.ts";
import { openSyncTree } from "../../sync/sync_tree.ts";
import { builtinRules } from "../../sync/rules.ts";

const encoder = new TextEncoder();

/** A runner that answers every call with a counter and records what it was asked. */
function countingRunner(inner?: ProcessRunner) {
  const calls: { cmd: string; args: string[]; options: RunOptions }[] = [];
  let n = 0;
  const runner: ProcessRunner = {
    run(cmd, args, options = {}) {
      calls.push({ cmd, args, options });
      if (inner) return inner.run(cmd, args, options);
      const answer: RunResult = {
        code: 0,
        signal: null,
        stdout: encoder.encode(`answer ${++n}`),
        stderr: new Uint8Array(),
      };
      return Promise.resolve(answer);
    },
    spawn: () => {
      throw new Error("not used");
    },
    interactive: () => Promise.resolve(0),
    which: () => Promise.resolve(null),
  };
  return { runner, calls };
}
const text = (result: RunResult) => new TextDecoder().decode(result.stdout);

Deno.test("an early answer serves the first identical run only", async () => {
  const { runner, calls } = countingRunner();
  const proc = withPrefetch(runner);
  proc.prefetch("git", ["status"], "/repo");
  assert.equal(text(await proc.run("git", ["status"], { cwd: "/repo" })), "answer 1");
  assert.equal(text(await proc.run("git", ["status"], { cwd: "/repo" })), "answer 2");
  assert.equal(calls.length, 2);
});

Deno.test("calls that differ in any way are never served the early answer", async () => {
  const cases: { name: string; args: string[]; options: RunOptions }[] = [
    { name: "other directory", args: ["status"], options: { cwd: "/elsewhere" } },
    { name: "no directory", args: ["status"], options: {} },
    { name: "other arguments", args: ["status", "-s"], options: { cwd: "/repo" } },
    { name: "with stdin", args: ["status"], options: { cwd: "/repo", stdin: "x" } },
    { name: "with env", args: ["status"], options: { cwd: "/repo", env: { A: "1" } } },
    {
      name: "with a signal",
      args: ["status"],
      options: { cwd: "/repo", signal: new AbortController().signal },
    },
  ];
  for (const { name, args, options } of cases) {
    const { runner } = countingRunner();
    const proc = withPrefetch(runner);
    proc.prefetch("git", ["status"], "/repo");
    assert.equal(text(await proc.run("git", args, options)), "answer 2", name);
  }
});

Deno.test("an early answer that fails and is never asked for is no unhandled rejection", async () => {
  const failing: ProcessRunner = {
    ...countingRunner().runner,
    run: () => Promise.reject(new Error("no git")),
  };
  withPrefetch(failing).prefetch("git", ["status"], "/repo");
  await new Promise((resolve) => setTimeout(resolve, 0)); // a rejection left unhandled fails this test
});

Deno.test("syncsRepository: run and job run, not what comes after --, not --no-sync", () => {
  const cases: [string[], boolean][] = [
    [["run", "--", "true"], true],
    [["--quiet", "run", "--id", "x", "--", "make"], true],
    [["job", "run", "ci"], true],
    [["run", "--no-sync", "--", "true"], false],
    [["ssh", "x", "--", "run"], false],
    [["list"], false],
    [[], false],
  ];
  for (const [argv, expected] of cases) assert.equal(syncsRepository(argv), expected, argv.join(" "));
});

Deno.test("guessGitRoot: the nearest directory with .git, else null", () => {
  const cases: [string, string[], string | null][] = [
    ["/home/a/repo/src/deep", ["/home/a/repo"], "/home/a/repo"],
    ["/home/a/repo", ["/home/a/repo", "/home/a"], "/home/a/repo"],
    ["/home/a/repo/sub", ["/home/a/repo/sub", "/home/a/repo"], "/home/a/repo/sub"],
    ["/home/a/repo/", ["/home/a/repo"], "/home/a/repo"],
    ["/tmp/x", [], null],
    ["/srv", ["/"], "/"],
  ];
  for (const [cwd, withGit, expected] of cases) {
    assert.equal(guessGitRoot(cwd, (dir) => withGit.includes(dir)), expected, cwd);
  }
});

Deno.test("a tree opened on the prefetching runner is the same tree, with git status asked once", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "crabbox-prefetch-" }));
  try {
    const repo = `${root}/repo`;
    await Deno.mkdir(`${repo}/src`, { recursive: true });
    const git = (...args: string[]) =>
      new Deno.Command("git", {
        args: ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
        cwd: repo,
      })
        .output();
    await git("init", "-q");
    await Deno.writeTextFile(`${repo}/a.txt`, "alpha\n");
    await git("add", ".");
    await git("commit", "-qm", "init");
    await Deno.writeTextFile(`${repo}/u.txt`, "untracked\n");
    const open = async (proc: ProcessRunner, cache: string) => {
      const deps = {
        proc,
        fs: realFs,
        env: { get: (name: string) => (name === "XDG_CACHE_HOME" ? cache : undefined), all: () => ({}) },
        system: { homeDir: () => root } as never,
        clock: { now: () => Date.now() } as never,
      };
      const rules = builtinRules();
      const tree = await openSyncTree(deps, {
        gitRoot: repo,
        rules,
        ruleTexts: rules.map((r) => `${r.include ? "!" : ""}${r.pattern}`),
        options: { delete: true, checksum: false },
      });
      return { summary: tree.summary, value: (await tree.fingerprint).value };
    };
    const plain = await open(realProcess, `${root}/cache-plain`);
    const { runner, calls } = countingRunner(realProcess);
    const proc = withPrefetch(runner);
    const hasGitEntry = (dir: string) => {
      try {
        Deno.lstatSync(`${dir}/.git`);
        return true;
      } catch {
        return false;
      }
    };
    prefetchRepository(proc, `${repo}/src`, { hasGitEntry, env: () => undefined });
    const prefetched = await open(proc, `${root}/cache-prefetched`);
    assert.deepEqual(prefetched, plain);
    const statuses = calls.filter((c) => c.args.join(" ") === GIT_STATUS.join(" "));
    assert.equal(statuses.length, 1);
    assert.equal(statuses[0].options.cwd, repo);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("finish() stops the answers nobody asked for and waits for them to end", async () => {
  const { runner, calls } = countingRunner();
  const proc = withPrefetch(runner);
  proc.prefetch("git", ["status"], "/repo");
  proc.prefetch("git", ["branch"], "/repo");
  await proc.run("git", ["status"], { cwd: "/repo" });
  await proc.finish();
  assert.equal(calls.length, 2);
  assert.ok(calls.every((call) => call.options.signal?.aborted));
  // Nothing early is left: the same call now runs anew.
  assert.equal(text(await proc.run("git", ["branch"], { cwd: "/repo" })), "answer 3");
});

Deno.test("abandon() stops the answers nobody asked for at once, for a process about to exit", () => {
  const { runner, calls } = countingRunner();
  const proc = withPrefetch(runner);
  proc.prefetch("git", ["status"], "/repo");
  proc.abandon();
  assert.equal(calls[0].options.signal?.aborted, true);
});

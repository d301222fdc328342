/**
 * ./crabbox (and `deno task crabbox`) as the README uses them: from source, in the caller's directory,
 * without `deno` on PATH, through a symlink; and the release smoke test (tools/release-smoke) on it.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { git } from "../e2e/_cli.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const LAUNCHER = `${ROOT}crabbox`;
const DENO_BIN_DIR = Deno.execPath().slice(0, Deno.execPath().lastIndexOf("/"));
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function sampleRepo(): Promise<{ home: string; repo: string; env: Record<string, string> }> {
  const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "cbx-launch-" }));
  const repo = `${home}/webapp`;
  await Deno.mkdir(repo);
  await Deno.writeTextFile(`${repo}/.crabbox.yaml`, "class: tiny\n");
  await Deno.writeTextFile(`${repo}/app.js`, "console.log(1)\n");
  await git(repo, "init", "-q");
  await git(repo, "add", ".");
  await git(repo, "commit", "-qm", "sample");
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_STATE_HOME: `${home}/.local/state`,
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
    NO_COLOR: "1",
    // No deno here: a newcomer's PATH.
    PATH: "/usr/local/bin:/usr/bin:/bin",
  };
  return { home, repo, env };
}

async function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<Result> {
  const out = await new Deno.Command(cmd, { args, cwd, env, clearEnv: true, stdin: "null" }).output();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("./crabbox runs from source in the caller's directory, without deno on PATH, via a symlink", async () => {
  const { home, repo, env } = await sampleRepo();
  try {
    const path = await run(LAUNCHER, ["config", "path", "--repo"], repo, env);
    assert.equal(path.code, 0, path.stderr);
    assert.equal(path.stdout.trim(), `${repo}/.crabbox.yaml`);
    const show = await run(LAUNCHER, ["config", "show"], repo, env);
    assert.match(show.stdout, /^class=tiny {2}\(repo .*\/webapp\/\.crabbox\.yaml:1\)$/m, show.stderr);
    await Deno.mkdir(`${home}/bin`);
    await Deno.symlink(LAUNCHER, `${home}/bin/crabbox`);
    const version = await run(`${home}/bin/crabbox`, ["--version"], repo, env);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\S+ \(commit \S+, deno \d+\.\d+\.\d+, [\w-]+\)\n$/);
    // Outside a repository the caller's directory still wins over the checkout.
    const outside = await run(LAUNCHER, ["config", "path", "--repo"], home, env);
    assert.equal(outside.code, 4, outside.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("deno task crabbox -- ARGS: the args arrive, and it runs in the caller's directory", async () => {
  const { home, repo, env } = await sampleRepo();
  const withDeno = { ...env, PATH: `${DENO_BIN_DIR}:${env.PATH}` };
  try {
    const task = (args: string[]) =>
      run(
        Deno.execPath(),
        ["task", "-q", "--config", `${ROOT}deno.json`, "crabbox", "--", ...args],
        repo,
        withDeno,
      );
    const help = await task(["--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: crabbox /);
    const path = await task(["config", "path", "--repo"]);
    assert.equal(path.code, 0, path.stderr);
    assert.equal(path.stdout.trim(), `${repo}/.crabbox.yaml`);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("release smoke (tools/release-smoke) passes on ./crabbox: --version, config show, sync-plan, job run --dry-run", async () => {
  const { home, env } = await sampleRepo();
  try {
    const smoke = await run(`${ROOT}tools/release-smoke`, [LAUNCHER], home, env);
    assert.equal(smoke.code, 0, smoke.stdout + smoke.stderr);
    assert.match(smoke.stdout, /^\$ crabbox job run test --dry-run$/m);
    assert.match(smoke.stdout, /^release smoke: ok/m);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

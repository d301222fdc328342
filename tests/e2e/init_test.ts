/**
 * `crabbox init` as a user runs it: the real CLI under the release permissions, offline, in a sample
 * repo. Piped: `init --yes` writes the file and `job run test --dry-run` plans its job. On a real
 * terminal (a pty from util-linux `script`): @clack/prompts asks, Enter takes each proposal, Ctrl-C
 * cancels with nothing written.
 */
import assert from "node:assert/strict";
import { git, MAIN, PERMISSIONS } from "./_cli.ts";

async function sampleRepo() {
  const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "cbx-init-e2e-" }));
  const repo = `${home}/webapp`;
  await Deno.mkdir(repo);
  await Deno.writeTextFile(`${repo}/package.json`, JSON.stringify({ scripts: { test: "node --test" } }));
  await Deno.writeTextFile(`${repo}/package-lock.json`, "{}\n");
  await git(repo, "init", "-q");
  await git(repo, "add", ".");
  await git(repo, "commit", "-qm", "sample");
  const env = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_STATE_HOME: `${home}/.local/state`,
    NO_COLOR: "1",
    TERM: "xterm",
  };
  return { home, repo, env, cleanup: () => Deno.remove(home, { recursive: true }) };
}

const CLI = [Deno.execPath(), "run", "--quiet", ...PERMISSIONS, MAIN];

Deno.test("piped: init --yes writes .crabbox.yaml, and job run test --dry-run plans it offline", async () => {
  const s = await sampleRepo();
  try {
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(CLI[0], {
        args: [...CLI.slice(1), ...args],
        cwd: s.repo,
        env: s.env,
        clearEnv: true,
        stdin: "null",
      }).output();
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
    };
    const init = await run("init", "--yes", "--class", "tiny");
    assert.equal(init.code, 0, init.stderr);
    assert.equal(
      init.stdout,
      `wrote ${s.repo}/.crabbox.yaml (detected: npm)\njob test: npm ci && npm test\n`,
    );
    const plan = await run("job", "run", "test", "--dry-run");
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /^crabbox warmup .*--class tiny /m);
    assert.match(plan.stdout, /^crabbox run --id '<lease>' --shell -- 'npm ci && npm test'$/m);
    const again = await run("init", "--yes");
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists\ncrabbox: hint: pass --force/);
  } finally {
    await s.cleanup();
  }
});

/** The CLI on a pty: `send` types once the screen shows `text`; resolves to the exit code and screen. */
function onTerminal(s: Awaited<ReturnType<typeof sampleRepo>>, args: string[]) {
  const line = [...CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command("script", {
    // A pty starts 0 columns wide (script copies the size of its stdin, a pipe here): clack would wrap
    // every character onto its own line.
    args: ["-qefc", `stty cols 120 rows 40 && exec ${line}`, "/dev/null"],
    cwd: s.repo,
    env: s.env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A bound, not a wait: a prompt that never shows must fail the test, not hang it.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const writer = child.stdin.getWriter();
  let screen = "";
  const waiters: { text: string; from: number; resolve: () => void }[] = [];
  const pumped = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      screen += chunk;
      for (const w of waiters) if (screen.indexOf(w.text, w.from) >= 0) w.resolve();
    }
  })();
  const done = (async () => {
    const status = await child.status;
    clearTimeout(deadline);
    await pumped;
    await writer.close().catch(() => {});
    await child.stderr.cancel();
    return { code: status.code, screen };
  })();
  let from = 0;
  return {
    /** Waits for `text` after everything matched so far (bounded: the process exiting fails it). */
    async send(text: string, keys: string) {
      const seen = new Promise<void>((resolve) => {
        waiters.push({ text, from, resolve });
        if (screen.indexOf(text, from) >= 0) resolve();
      });
      await Promise.race([
        seen,
        done.then((r) => {
          throw new Error(`exited ${r.code} before showing ${JSON.stringify(text)}:\n${r.screen}`);
        }),
      ]);
      from = screen.indexOf(text, from) + text.length;
      await writer.write(new TextEncoder().encode(keys));
    },
    done,
  };
}

Deno.test("on a terminal: Enter takes each proposal; Ctrl-C cancels and writes nothing", async () => {
  const s = await sampleRepo();
  try {
    const term = onTerminal(s, ["init"]);
    await term.send("Machine class", "\x1b[A\r"); // up from standard: small
    await term.send("Command of the `test` job", "\r");
    await term.send("Sync excludes", "\r");
    const { code, screen } = await term.done;
    assert.equal(code, 0, screen);
    assert.match(screen, /wrote .*\/webapp\/\.crabbox\.yaml \(detected: npm\)/);
    const text = await Deno.readTextFile(`${s.repo}/.crabbox.yaml`);
    assert.match(text, /^class: small$/m);
    assert.match(text, /^ {4}command: npm ci && npm test$/m);

    await Deno.remove(`${s.repo}/.crabbox.yaml`);
    const cancelled = onTerminal(s, ["init"]);
    await cancelled.send("Machine class", "\x03");
    const result = await cancelled.done;
    assert.equal(result.code, 130, result.screen);
    assert.match(result.screen, /crabbox: error: init cancelled; nothing written/);
    assert.equal(await Deno.stat(`${s.repo}/.crabbox.yaml`).catch(() => null), null);
  } finally {
    await s.cleanup();
  }
});

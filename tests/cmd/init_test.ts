/**
 * `crabbox init` in process: what it prints and writes, on a terminal (a scripted Prompter) and off one,
 * its refusals, --print and --json; and that what it writes loads and its job plans offline.
 */
import assert from "node:assert/strict";
import { fakeCli, ScriptedPrompter } from "./_fakes.ts";
import { renderInitConfig } from "../../config/init_render.ts";

const PNPM_TEST = "pnpm install --frozen-lockfile && pnpm test";

/** A git repo with these root files, and a CLI working in it. */
async function repoCli(files: Record<string, string>, prompt = new ScriptedPrompter()) {
  const repo = await Deno.realPath(await Deno.makeTempDir({ prefix: "cbx-init-" }));
  const git = await new Deno.Command("git", { args: ["init", "-q", repo] }).output();
  assert.ok(git.success);
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${repo}/${name}`, text);
  // No token: init and everything checked after it are offline.
  const cli = await fakeCli({ cwd: repo, prompt, env: { HCLOUD_TOKEN: "" } });
  const read = (name = ".crabbox.yaml") => Deno.readTextFile(`${repo}/${name}`).catch(() => null);
  return {
    repo,
    cli,
    prompt,
    read,
    async [Symbol.asyncDispose]() {
      await cli.cleanup();
      await Deno.remove(repo, { recursive: true });
    },
  };
}

const PNPM_REPO = {
  "package.json": JSON.stringify({ scripts: { test: "vitest run" } }),
  "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
};

Deno.test("init --yes writes the proposal; it loads, and its test job plans offline", async () => {
  await using r = await repoCli(PNPM_REPO);
  const result = await r.cli.run("init", "--yes");
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    `wrote ${r.repo}/.crabbox.yaml (detected: pnpm)\njob test: ${PNPM_TEST}\n`,
  );
  assert.equal(
    result.stderr,
    "crabbox: next: crabbox job run test --dry-run (offline), then crabbox job run test\n",
  );
  assert.equal(
    await r.read(),
    renderInitConfig({
      kinds: ["pnpm"],
      class: "standard",
      testCommand: PNPM_TEST,
      tools: ["node", "pnpm"],
      excludes: ["node_modules", ".pnpm-store"],
      envAllow: ["CI", "NODE_OPTIONS"],
    }),
  );
  assert.equal(((await Deno.stat(`${r.repo}/.crabbox.yaml`)).mode ?? 0) & 0o777, 0o644);
  const show = await r.cli.run("config", "show");
  assert.equal(show.code, 0, show.stderr);
  assert.equal(show.stderr, "", "no warning");
  assert.match(show.stdout, /^class=standard {2}\(repo .*\.crabbox\.yaml:7\)$/m);
  assert.match(show.stdout, /^env\.allow=CI,NODE_OPTIONS /m);
  const plan = await r.cli.run("job", "run", "test", "--dry-run");
  assert.equal(plan.code, 0, plan.stderr);
  assert.ok(plan.stdout.includes(`crabbox run --id '<lease>' --shell -- '${PNPM_TEST}'`), plan.stdout);
  assert.deepEqual(r.cli.hetzner.calls, []);
  assert.deepEqual(r.prompt.asked, []);
});

Deno.test("off a terminal nothing is asked, --yes or not; on one, --yes asks nothing either", async () => {
  for (
    const [prompt, args] of [[new ScriptedPrompter(false), []], [new ScriptedPrompter(true), [
      "--yes",
    ]]] as const
  ) {
    await using r = await repoCli({ "go.mod": "module x\n" }, prompt);
    const result = await r.cli.run("init", ...args);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `wrote ${r.repo}/.crabbox.yaml (detected: go)\njob test: go test ./...\n`);
    assert.deepEqual(prompt.asked, []);
    assert.match((await r.read())!, /^ {4}command: go test \.\/\.\.\.$/m);
  }
});

Deno.test("on a terminal: the class, the command and the excludes are asked, each with the proposal", async () => {
  const prompt = new ScriptedPrompter(true, ["small", PNPM_TEST, "node_modules, dist"]);
  await using r = await repoCli({ ...PNPM_REPO, Makefile: "check:\n\t./ci\n" }, prompt);
  const result = await r.cli.run("init");
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    `wrote ${r.repo}/.crabbox.yaml (detected: make, pnpm)\njob test: ${PNPM_TEST}\n`,
  );
  assert.deepEqual(prompt.asked.map(({ validate: _, ...q }) => q), [
    {
      kind: "select",
      message: "Machine class for this repository's runs",
      initial: "standard",
      choices: ["tiny", "small", "standard", "fast", "large", "beast"],
    },
    {
      kind: "select",
      message: "Command of the `test` job",
      initial: "make check",
      choices: ["make check", PNPM_TEST, "\0other", "\0none"],
    },
    {
      kind: "text",
      message: "Sync excludes, comma-separated (on top of the built-in ones)",
      initial: "node_modules, .pnpm-store",
    },
  ]);
  const validate = prompt.asked[2].validate!;
  assert.equal(validate("node_modules, dist/"), null);
  assert.equal(validate("[z-a]"), 'has an invalid pattern "[z-a]": character range "z-a" is reversed');
  const text = (await r.read())!;
  assert.match(text, /^class: small$/m);
  assert.match(text, /^ {4}- node_modules\n {4}- dist\n\nenv:/m);
  assert.match(text, /^# {3}preflightTools: \[node, pnpm\]$/m);
});

Deno.test("on a terminal: another command is typed in, or no job at all; flags are not asked again", async () => {
  {
    const prompt = new ScriptedPrompter(true, ["\0other", "  cargo test -q  ", undefined]);
    await using r = await repoCli({ "go.mod": "" }, prompt);
    const result = await r.cli.run("init", "--class", "tiny");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(prompt.asked.map((q) => q.kind), ["select", "text", "text"]);
    assert.match((await r.read())!, /^ {4}command: cargo test -q$/m);
    assert.doesNotMatch((await r.read())!, /preflightTools/);
  }
  {
    const prompt = new ScriptedPrompter(true, [undefined, "\0none", ""]);
    await using r = await repoCli({ "go.mod": "" }, prompt);
    const result = await r.cli.run("init");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      `wrote ${r.repo}/.crabbox.yaml (detected: go)\nno test job: no test command found; add one under jobs: (the file shows how)\n`,
    );
    assert.doesNotMatch((await r.read())!, /^jobs:/m);
    assert.match((await r.read())!, /^ {2}exclude: \[\]$/m);
  }
  {
    // Nothing detected: the command is typed (or left empty); --test-command skips that question.
    const prompt = new ScriptedPrompter(true, [undefined, "", undefined]);
    await using r = await repoCli({}, prompt);
    const typed = await r.cli.run("init");
    assert.equal(typed.code, 0, typed.stderr);
    assert.deepEqual(prompt.asked.map((q) => q.message), [
      "Machine class for this repository's runs",
      "Command of the `test` job (empty: no job)",
      "Sync excludes, comma-separated (on top of the built-in ones)",
    ]);
    const flagged = new ScriptedPrompter(true, [undefined]);
    await using f = await repoCli({}, flagged);
    assert.equal((await f.cli.run("init", "--class", "fast", "--test-command", "make ci")).code, 0);
    assert.deepEqual(flagged.asked.map((q) => q.kind), ["text"]);
    assert.match((await f.read())!, /^class: fast$[\s\S]*^ {4}command: make ci$/m);
  }
});

Deno.test("a cancelled question writes nothing and exits 130", async () => {
  for (const answers of [[null], ["small", null], ["small", undefined, null]]) {
    await using r = await repoCli(PNPM_REPO, new ScriptedPrompter(true, answers));
    const result = await r.cli.run("init");
    assert.equal(result.code, 130);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, "crabbox: error: init cancelled; nothing written\n");
    assert.equal(await r.read(), null);
  }
});

Deno.test("an existing repo config is kept without --force (exit 2, nothing asked); --force replaces it", async () => {
  for (const name of [".crabbox.yaml", "crabbox.yaml"]) {
    const prompt = new ScriptedPrompter(true);
    await using r = await repoCli({ ...PNPM_REPO, [name]: "class: tiny\n" }, prompt);
    const refused = await r.cli.run("init");
    assert.equal(refused.code, 2);
    assert.equal(refused.stdout, "");
    assert.equal(
      refused.stderr,
      `crabbox: error: ${r.repo}/${name} already exists\n` +
        "crabbox: hint: pass --force to replace it, or --print to see the proposal\n",
    );
    assert.equal(await r.read(name), "class: tiny\n");
    assert.deepEqual(prompt.asked, []);
    const forced = await r.cli.run("init", "--force", "--yes");
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(
      forced.stdout,
      new RegExp(`^replaced ${r.repo}/${name.replace(".", "\\.")} \\(detected: pnpm\\)\n`),
    );
    assert.match((await r.read(name))!, /^class: standard$/m);
    if (name === "crabbox.yaml") assert.equal(await r.read(".crabbox.yaml"), null, "one repo config");
  }
  await using both = await repoCli({ ".crabbox.yaml": "", "crabbox.yaml": "" });
  const result = await both.cli.run("init", "--force");
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^crabbox: error: both .*\/\.crabbox\.yaml and .*\/crabbox\.yaml exist\n/);
});

Deno.test("--print writes the file to stdout only, even beside an existing one", async () => {
  await using r = await repoCli({ ...PNPM_REPO, ".crabbox.yaml": "class: tiny\n" });
  const result = await r.cli.run("init", "--print", "--class", "tiny");
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  assert.match(result.stdout, /^# crabbox settings for this repository/);
  assert.match(result.stdout, /^class: tiny$/m);
  assert.equal(await r.read(), "class: tiny\n");
});

Deno.test("--json reports what was written (or, with --print, what would be)", async () => {
  await using r = await repoCli({ "Cargo.toml": "[package]\n" });
  const result = await r.cli.run("--json", "init");
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.deepEqual({ ...report, content: undefined }, {
    path: `${r.repo}/.crabbox.yaml`,
    written: true,
    replaced: false,
    detected: ["cargo"],
    class: "standard",
    job: { name: "test", command: "cargo test" },
    syncExclude: ["target/"],
    envAllow: ["CI", "RUST_LOG", "RUST_BACKTRACE"],
    content: undefined,
  });
  assert.equal(report.content, await r.read());
  const printed = JSON.parse((await r.cli.run("--json", "init", "--print")).stdout);
  assert.equal(printed.written, false);
  assert.equal(printed.content, report.content);
});

Deno.test("bad input: one line naming the flag or the place, exit 2, nothing written", async () => {
  const rows: [string[], RegExp][] = [
    [["--class", "huge"], /^crabbox: error: --class huge: "huge" is not a class \(tiny, small, /],
    [["--test-command", "  "], /^crabbox: error: --test-command is empty\ncrabbox: hint: pass the command/],
    [
      ["--test-command", "curl -H 'Authorization: Bearer abc123' https://ci/x"],
      /^crabbox: error: .*\/\.crabbox\.yaml:\d+:\d+: jobs\.test\.command has a value that looks like a Bearer/,
    ],
  ];
  for (const [args, expected] of rows) {
    await using r = await repoCli(PNPM_REPO);
    const result = await r.cli.run("init", "--yes", ...args);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, expected);
    assert.ok(!result.stderr.includes("abc123"), "the value is never echoed");
    assert.equal(await r.read(), null);
  }
  const outside = await fakeCli();
  try {
    const result = await outside.run("init", "--yes");
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `crabbox: error: ${outside.home} is not inside a git repository\n` +
        "crabbox: hint: run crabbox init in your repository (git init first)\n",
    );
  } finally {
    await outside.cleanup();
  }
});

Deno.test("from a subdirectory, the file goes to the git root, where crabbox reads it", async () => {
  await using r = await repoCli({ "go.mod": "" });
  await Deno.mkdir(`${r.repo}/pkg/x`, { recursive: true });
  const cli = await fakeCli({ cwd: `${r.repo}/pkg/x` });
  try {
    const result = await cli.run("init", "--yes");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^wrote ${r.repo}/\\.crabbox\\.yaml \\(detected: go\\)`));
    assert.notEqual(await r.read(), null);
  } finally {
    await cli.cleanup();
  }
});

Deno.test("a .crabbox.yml beside it is named: no crabbox reads that spelling", async () => {
  await using r = await repoCli({ ".crabbox.yml": "class: tiny\n" });
  const result = await r.cli.run("init", "--yes");
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `^crabbox: warning: ${r.repo}/\\.crabbox\\.yml is read by no crabbox \\(only \\.crabbox\\.yaml`,
    ),
  );
});

Deno.test("init is in the help and the completion scripts (generated from the command tree)", async () => {
  await using r = await repoCli({});
  assert.match(
    (await r.cli.run("--help")).stdout,
    /^ {2}init \[options\] +write a commented \.crabbox\.yaml/m,
  );
  const bash = (await r.cli.run("completions", "bash")).stdout;
  for (const word of ["init", "--test-command", "--force", "--print"]) assert.ok(bash.includes(word), word);
});

/**
 * Hostile and mistaken input (issue 8 §5, §6, §12): each is one error line plus a hint, exit 2 (4 for
 * ids), before any API call, creating nothing.
 */
import assert from "node:assert/strict";
import { fakeCli } from "./_fakes.ts";

async function gitRepo(files: Record<string, string> = {}): Promise<string> {
  const repo = await Deno.makeTempDir({ prefix: "cbx-bounds-" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${repo}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(`${repo}/${path}`, text);
  }
  const out = await new Deno.Command("git", { args: ["init", "-q", repo] }).output();
  assert.ok(out.success);
  return repo;
}

/** Runs each argv in `repo`, expecting exactly one error line and one hint line on stderr. */
async function expectRefused(
  repo: string,
  rows: [string[], number, RegExp][],
  env: Record<string, string> = {},
): Promise<void> {
  const cli = await fakeCli({ cwd: repo, env });
  try {
    for (const [argv, code, error] of rows) {
      const result = await cli.run(...argv);
      const label = `${argv.join(" ")}: ${result.stderr}`;
      assert.equal(result.code, code, label);
      assert.equal(result.stdout, "", label);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 2, label);
      assert.match(lines[0], error, label);
      assert.match(lines[1], /^crabbox: hint: \S/, label);
      assert.ok(!result.stderr.includes("this is a bug"), label);
    }
    assert.deepEqual(cli.hetzner.calls, [], "no API call");
  } finally {
    await cli.cleanup();
  }
}

Deno.test(".crabboxignore: an invalid pattern is an error at file:line; a backtracking one is fast", async () => {
  const repo = await gitRepo({
    "a.txt": "a",
    ".crabboxignore": `# ok\n${"*".repeat(25)}x\nbuild/\n[z-a]\n`,
  });
  try {
    const error = new RegExp(
      `^crabbox: error: ${repo}/\\.crabboxignore:4: invalid pattern "\\[z-a\\]": character range "z-a" is reversed$`,
    );
    await expectRefused(repo, [[["sync-plan"], 2, error], [["run", "--", "ls"], 2, error]]);
    await Deno.writeTextFile(`${repo}/.crabboxignore`, `${"*".repeat(25)}q*\n${"*a".repeat(25)}*b*\n`);
    await Deno.writeTextFile(`${repo}/${"a".repeat(120)}`, "long name");
    const cli = await fakeCli({ cwd: repo, env: { HCLOUD_TOKEN: "" } });
    try {
      const started = performance.now();
      const plan = await cli.run("sync-plan", "--json");
      assert.equal(plan.code, 0, plan.stderr);
      assert.ok(performance.now() - started < 5000);
      assert.deepEqual(JSON.parse(plan.stdout).candidate.files, 3);
    } finally {
      await cli.cleanup();
    }
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("config sync.exclude / sync.include: an invalid pattern is an error at file:line", async () => {
  for (const key of ["exclude", "include"]) {
    const repo = await gitRepo({ ".crabbox.yaml": `sync:\n  ${key}: [ok/, "x[]"]\n` });
    try {
      await expectRefused(repo, [[
        ["sync-plan"],
        2,
        new RegExp(
          `^crabbox: error: ${repo}/\\.crabbox\\.yaml:2:\\d+: sync\\.${key} has an invalid pattern "x\\[\\]": empty character class \\[\\]$`,
        ),
      ]]);
    } finally {
      await Deno.remove(repo, { recursive: true });
    }
  }
});

Deno.test("run: an empty or blank command is a usage error", async () => {
  const repo = await gitRepo();
  try {
    const error = /^crabbox: error: the command is empty$/;
    await expectRefused(repo, [
      [["run", "--", ""], 2, error],
      [["run", "--", "   "], 2, error],
      [["run", "--", "", "ls"], 2, error],
      [["run", "--shell", "--", "\t"], 2, error],
      [["run", "--id", "cbx_0123456789ab", "--", " "], 2, error],
    ]);
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("job run: the name is checked before any path is built; nothing is written", async () => {
  const base = await Deno.makeTempDir({ prefix: "cbx-jobname-" });
  const repo = `${base}/r`;
  await Deno.mkdir(repo);
  await new Deno.Command("git", { args: ["init", "-q", repo] }).output();
  await Deno.writeTextFile(`${repo}/.crabbox.yaml`, "jobs:\n  test:\n    command: make test\n");
  try {
    const rows: [string[], number, RegExp][] = [];
    for (const name of ["../../../x", "../x", "a/b", "Test", "", ".hidden", "a".repeat(64), "x\ny"]) {
      const shown = JSON.stringify(name).replace(/[\\[\]().*+?^$|{}]/g, "\\$&");
      for (const extra of [["--dry-run"], [], ["--id", "cbx_0123456789ab"]]) {
        rows.push([
          ["job", "run", name, ...extra],
          2,
          new RegExp(`^crabbox: error: job name ${shown} is invalid$`),
        ]);
      }
    }
    await expectRefused(repo, rows);
    for (const dir of [base, repo, `${repo}/.crabbox-results`]) {
      const names = [];
      try {
        for await (const entry of Deno.readDir(dir)) names.push(entry.name);
      } catch {
        continue; // .crabbox-results was never created
      }
      assert.ok(!names.some((n) => n.endsWith("-plan.json")), `${dir}: ${names}`);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("--class: an unknown class is a usage error listing the classes", async () => {
  const repo = await gitRepo();
  try {
    const list = "tiny, small, standard, fast, large, beast";
    await expectRefused(repo, [
      [
        ["run", "--class", "huge", "--", "ls"],
        2,
        new RegExp(`^crabbox: error: --class "huge" is not a class \\(${list}\\)`),
      ],
      [["warmup", "--class", "x;y"], 2, /^crabbox: error: --class "x;y" is not a class/],
      [["run", "--class", "", "--", "ls"], 2, /^crabbox: error: --class must not be empty/],
    ]);
    await expectRefused(repo, [[
      ["warmup"],
      2,
      /^crabbox: error: CRABBOX_CLASS: class "beats" is not a class/,
    ]], {
      CRABBOX_CLASS: "beats",
    });
    await Deno.writeTextFile(`${repo}/.crabbox.yaml`, "jobs:\n  t:\n    command: x\n    class: Beast\n");
    await expectRefused(repo, [[
      ["job", "run", "t"],
      2,
      new RegExp(`^crabbox: error: ${repo}/\\.crabbox\\.yaml:4:12: jobs\\.t\\.class "Beast" is not a class`),
    ]]);
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("ids: numbers out of range are not found (exit 4) without any API call", async () => {
  const repo = await gitRepo();
  try {
    const rows: [string[], number, RegExp][] = [];
    for (const id of ["99999999999999999999", "0", "-5", "+7", "9007199254740993", "1".repeat(400)]) {
      const error = new RegExp(`^crabbox: error: lease/server not found: ${id.replace("+", "\\+")}$`);
      rows.push(
        [["status", "--id", id], 4, error],
        [["stop", "--id", id], 4, error],
        [["heartbeat", "--", id], 4, error],
        [["ssh", "--", id], 4, error],
        [["run", "--id", id, "--no-sync", "--", "ls"], 4, error],
      );
    }
    await expectRefused(repo, rows);
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("ssh with a command: exit 2, pointing at run --no-sync with that command, before any API call", async () => {
  const repo = await gitRepo();
  try {
    await expectRefused(repo, [
      [
        ["ssh", "swift-crab", "--", "pgrep", "-a", "sleep"],
        2,
        /^crabbox: error: crabbox ssh opens a shell and runs no command$/,
      ],
      [["ssh", "swift-crab", "ls"], 2, /^crabbox: error: crabbox ssh opens a shell and runs no command$/],
    ]);
    const cli = await fakeCli({ cwd: repo });
    try {
      const result = await cli.run("ssh", "swift-crab", "--", "echo", "two words");
      assert.match(
        result.stderr,
        /^crabbox: hint: to run one on the box: crabbox run --id swift-crab --no-sync -- echo 'two words'$/m,
      );
    } finally {
      await cli.cleanup();
    }
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("config show never prints a token-shaped value, in text or JSON", async () => {
  // Built at run time so no secret-shaped literal sits in the source.
  const hetzner = "a".repeat(32) + "B7".repeat(16);
  const github = "ghp" + "_" + "x".repeat(36);
  const bearer = "Bearer " + "abc.def";
  const repo = await gitRepo();
  const cli = await fakeCli({ cwd: repo, env: { CRABBOX_SSH_USER: bearer } });
  try {
    await Deno.mkdir(`${cli.home}/.config/crabbox`, { recursive: true });
    await Deno.writeTextFile(
      `${cli.home}/.config/crabbox/config.yaml`,
      `owner: ${hetzner}\nsync:\n  exclude: [tmp/, "${github}"]\nenv:\n  set:\n    ${hetzner}: x\n    PLAIN: y\n`,
    );
    const text = await cli.run("config", "show");
    assert.equal(text.code, 0, text.stderr);
    const json = await cli.run("config", "show", "--json");
    assert.equal(json.code, 0, json.stderr);
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) {
      for (const secret of [hetzner, github, bearer, "abc.def"]) assert.ok(!out.includes(secret), out);
    }
    assert.match(text.stdout, /^owner=\*\*\* {2}\(user \S+config\.yaml:1\)$/m);
    assert.match(text.stdout, /^sync\.exclude=tmp\/,\*\*\* {2}\(user /m);
    assert.match(text.stdout, /^env\.set=\*\*\*,PLAIN {2}\(user /m);
    assert.match(text.stdout, /^ssh\.user=\*\*\* {2}\(env CRABBOX_SSH_USER\)$/m);
    assert.match(text.stdout, /^class=beast {2}\(default\)$/m, "plain values are shown as they are");
    const values = JSON.parse(json.stdout).values;
    assert.equal(values.owner.value, "***");
    assert.equal(values["ssh.user"].value, "***");
    assert.deepEqual(cli.hetzner.calls, []);
  } finally {
    await cli.cleanup();
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("durations: zero, negative or past 168h where a positive one is needed are usage errors", async () => {
  const repo = await gitRepo();
  try {
    const rows: [string[], number, RegExp][] = [];
    for (const zero of ["0s", "0m", "0h0m0s", "-5m", "169h", `1${"0".repeat(400)}s`]) {
      const bad = new RegExp(`^crabbox: error: --timeout ${zero}: `);
      rows.push(
        [["run", "--timeout", zero, "--", "ls"], 2, bad],
        [
          ["run", "--lock-timeout", zero, "--", "ls"],
          2,
          new RegExp(`^crabbox: error: --lock-timeout ${zero}: `),
        ],
        [["run", "--ttl", zero, "--", "ls"], 2, new RegExp(`^crabbox: error: --ttl ${zero}: `)],
        [["warmup", "--idle-timeout", zero], 2, new RegExp(`^crabbox: error: --idle-timeout ${zero}: `)],
        [["status", "x", "--wait-timeout", zero], 2, new RegExp(`^crabbox: error: --wait-timeout ${zero}: `)],
        [["heartbeat", "x", "--every", zero], 2, new RegExp(`^crabbox: error: --every ${zero}: `)],
      );
    }
    rows.push(
      [
        ["run", "--timeout", "0s", "--", "ls"],
        2,
        /^crabbox: error: --timeout 0s: must be between 1s and 168h$/,
      ],
      [["run", "--bootstrap-timeout", "0s", "--", "ls"], 2, /^crabbox: error: --bootstrap-timeout /],
    );
    await expectRefused(repo, rows);
    await Deno.writeTextFile(`${repo}/.crabbox.yaml`, "jobs:\n  t:\n    command: x\n    timeout: 0s\n");
    await expectRefused(repo, [[
      ["job", "run", "t"],
      2,
      /\.crabbox\.yaml:4:14: jobs\.t\.timeout must be at least 1s$/,
    ]]);
    await Deno.writeTextFile(`${repo}/.crabbox.yaml`, "jobs:\n  t:\n    command: x\n    timeout: 9999999h\n");
    await expectRefused(repo, [[
      ["job", "run", "t"],
      2,
      /\.crabbox\.yaml:4:14: jobs\.t\.timeout must be at most 168h$/,
    ]]);
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

/**
 * run's result flags (--junit, --artifact, --require-artifact, --download, --result-json) and --sync-only,
 * in process: bad values exit 2 naming the flag before any API call, and every `crabbox run …` line a
 * `job run --dry-run` plan prints is accepted by run's parser exactly as printed. Also: a run cut short
 * before its sync still finishes the manifest memo it started, and a dry-run of an undefined job says what to add.
 */
import assert from "node:assert/strict";
import { fakeCli } from "./_fakes.ts";
import { realProcess } from "../../core/runtime.ts";
import type { ProcessRunner } from "../../core/deps.ts";

async function git(cwd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.email=t@example.invalid", "-c", "user.name=t", ...args],
    cwd,
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

async function sampleRepo(config: string): Promise<string> {
  const repo = await Deno.makeTempDir({ prefix: "cbx-flags-" });
  await Deno.writeTextFile(`${repo}/.crabbox.yaml`, config);
  await Deno.mkdir(`${repo}/pkg`);
  await Deno.writeTextFile(`${repo}/pkg/app.js`, "1\n");
  await git(repo, "init", "-q");
  await git(repo, "add", ".");
  await git(repo, "commit", "-qm", "sample");
  return repo;
}

/** The words bash sees in a printed line (the plan's quoting is for a POSIX shell). */
async function shellWords(line: string): Promise<string[]> {
  const out = await new Deno.Command("bash", {
    args: ["-c", `eval "set -- $1"; printf '%s\\0' "$@"`, "words", line],
    stdout: "piped",
  }).output();
  assert.ok(out.success, line);
  return new TextDecoder().decode(out.stdout).split("\0").slice(0, -1);
}

Deno.test("run's result flags and --sync-only: bad values exit 2 with the flag and the fix, before any API call", async () => {
  const repo = await sampleRepo("class: small\n");
  await Deno.mkdir(`${repo}/outdir`);
  await Deno.symlink("/tmp", `${repo}/link`);
  const cli = await fakeCli({ cwd: repo });
  try {
    const rows: [string[], RegExp][] = [
      [
        ["run", "--junit", "/abs/*.xml", "--", "ls"],
        /^crabbox: error: --junit \/abs\/\*\.xml: must be a relative path inside the workdir \(no leading \/ and no \.\.\)\ncrabbox: hint: pass a glob like/,
      ],
      [
        ["run", "--artifact", "out/../../x", "--", "ls"],
        /^crabbox: error: --artifact out\/\.\.\/\.\.\/x: must be/,
      ],
      [["run", "--require-artifact=", "--", "ls"], /^crabbox: error: --require-artifact : is empty\n/],
      [
        ["run", "--download", "report.html", "--", "ls"],
        /^crabbox: error: --download report\.html: must be remote=local/,
      ],
      [
        ["run", "--download", "out/r.html=../r.html", "--", "ls"],
        /^crabbox: error: --download out\/r\.html=\.\.\/r\.html: local path must stay inside the repo \(no \.\.\); give an absolute path/,
      ],
      [
        ["run", "--download", "hook=.git/hooks/pre-commit", "--", "ls"],
        /^crabbox: error: --download hook=\.git\/hooks\/pre-commit: local path must not be inside \.git\//,
      ],
      [
        ["run", "--download", "out/*.xml=x", "--", "ls"],
        /^crabbox: error: --download out\/\*\.xml=x: remote path must not be a glob/,
      ],
      [
        ["run", "--download", "/etc/passwd=x", "--", "ls"],
        /^crabbox: error: --download \/etc\/passwd=x: remote path must be a relative/,
      ],
      [
        ["run", "--download", "r=link/r", "--", "ls"],
        /^crabbox: error: link\/r passes through a symlink \(link\)/,
      ],
      [
        ["run", "--result-json", "outdir", "--", "ls"],
        /^crabbox: error: --result-json outdir is a directory/,
      ],
      [
        ["run", "--result-json", "/nonexistent-crabbox-dir/r.json", "--", "ls"],
        /^crabbox: error: --result-json \/nonexistent-crabbox-dir\/r\.json: \/nonexistent-crabbox-dir is not a directory/,
      ],
      [
        ["run", "--result-json", "link/r.json", "--", "ls"],
        /^crabbox: error: link\/r\.json passes through a symlink/,
      ],
      [["run", "--sync-only", "--", "ls"], /^crabbox: error: --sync-only runs no command\n/],
      [
        ["run", "--sync-only", "--junit", "a.xml", "--artifact", "b"],
        /^crabbox: error: --sync-only cannot be used with --junit, --artifact\n/,
      ],
      [["run", "--sync-only", "--no-sync"], /^crabbox: error: --sync-only cannot be used with --no-sync\n/],
      [["warmup", "--no-wait", "--count", "2"], /^crabbox: error: --count needs --pool/],
    ];
    for (const [argv, stderr] of rows) {
      const result = await cli.run(...argv);
      assert.equal(result.code, 2, `${argv.join(" ")}: ${result.stderr}`);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, stderr, argv.join(" "));
    }
    assert.deepEqual(cli.hetzner.calls, [], "no API call for a bad flag");
    // run --help (its flags and examples) is checked by tests/cmd/golden/run.help.txt.
  } finally {
    await cli.cleanup();
    await Deno.remove(repo, { recursive: true });
  }
});

// No ssh multiplexing: the in-process run must not create a control-socket dir under the real /tmp.
const PLAN_CONFIG = `ssh:
  controlPersist: 0
policy:
  jobsOnly: false
env:
  allow: [CI]
jobs:
  report:
    command: "cd .. && make report > out/log.txt"
    workdir: pkg
    timeout: 10m
    env:
      allow: [PROJECT_*]
    junit: [out/junit.xml, "out/it's/*.xml"]
    artifacts: [out/coverage.json]
    requiredArtifacts: [out/log.txt]
    downloads: [out/report.html=reports/report.html]
  argv:
    command: [sh, -c, "echo 'two words'"]
    checksum: true
    forceSyncLarge: true
  prime:
    syncOnly: true
    junit: [never.xml]
`;

Deno.test("every run line a dry-run plan prints is accepted by crabbox run exactly as printed", async () => {
  const repo = await sampleRepo(PLAN_CONFIG);
  const cli = await fakeCli({ cwd: repo });
  try {
    const printed: string[] = [];
    for (const job of ["report", "argv", "prime"]) {
      const plan = await cli.run("job", "run", job, "--dry-run");
      assert.equal(plan.code, 0, plan.stderr);
      const line = plan.stdout.split("\n").find((l) => l.startsWith("crabbox run "));
      assert.ok(line, plan.stdout);
      printed.push(line);
      if (job === "prime") {
        assert.match(
          plan.stderr,
          /^crabbox: warning: \S+\.crabbox\.yaml:\d+:\d+: jobs\.prime is syncOnly: junit ignored \(a sync-only job runs no command to collect from\)$/m,
        );
      }
    }
    assert.equal(
      printed[0],
      "crabbox run --id '<lease>' --workdir pkg --timeout 10m --allow-env 'PROJECT_*' --junit out/junit.xml " +
        `--junit 'out/it'\\''s/*.xml' --artifact out/coverage.json --require-artifact out/log.txt ` +
        "--download out/report.html=reports/report.html --shell -- 'cd .. && make report > out/log.txt'",
    );
    assert.equal(printed[2], "crabbox run --id '<lease>' --sync-only", "a sync-only job collects nothing");
    const lease = "cbx_0123456789ab";
    for (const line of printed) {
      const words = (await shellWords(line)).map((w) => (w === "<lease>" ? lease : w));
      assert.equal(words[0], "crabbox");
      cli.hetzner.calls.length = 0;
      const result = await cli.run(...words.slice(1));
      // Parsed and validated: the first API call looks the lease up, and it does not exist (exit 4).
      assert.equal(result.code, 4, `${line}\n${result.stderr}`);
      assert.match(result.stderr, /^crabbox: error: lease cbx_0123456789ab no longer exists$/m);
      assert.deepEqual(cli.hetzner.calls.slice(0, 1), ["listServers"]);
    }
  } finally {
    await cli.cleanup();
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("a run that ends before its sync (lease gone) has written the manifest memo whole when it returns", async () => {
  const repo = await sampleRepo("{}\n");
  // Files older than the index, and an index git has refreshed: nothing racy, so git status leaves the
  // index as it is and the tree is memoable on a loaded machine too.
  const past = new Date("2020-01-01T00:00:00Z");
  for (const file of [".crabbox.yaml", "pkg/app.js"]) await Deno.utime(`${repo}/${file}`, past, past);
  await git(repo, "status", "--porcelain");
  const gitAsked: string[] = [];
  const proc: ProcessRunner = {
    ...realProcess,
    run: (cmd, args, options) => {
      if (cmd === "git") gitAsked.push(args.join(" "));
      return realProcess.run(cmd, args, options);
    },
  };
  const cli = await fakeCli({ cwd: repo, proc });
  try {
    const result = await cli.run("run", "--id", "cbx_0123456789ab", "--", "true");
    assert.equal(result.code, 4, result.stderr);
    // The repo name and the hydration facts share one answer.
    assert.equal(gitAsked.filter((args) => args === "config --get remote.origin.url").length, 1);
    // A clean tree is memoable; the write started in the background must be over, not cut at exit.
    const dir = `${cli.home}/.cache/crabbox/manifests`;
    const names = [...Deno.readDirSync(dir)].map((entry) => entry.name);
    assert.equal(names.length, 1, names.join(", "));
    assert.match(names[0], /^[0-9a-f]{32}\.json$/);
    assert.equal(JSON.parse(Deno.readTextFileSync(`${dir}/${names[0]}`)).gitRoot, repo);
  } finally {
    await cli.cleanup();
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("job run --dry-run of a job no config defines: exit 2, a fail line naming what to add or what exists", async () => {
  const table = [
    {
      config: "{}\n",
      want:
        /^fail\s+job-defined\s+jobs\.nosuch is not defined: no config has a jobs: section \(add jobs\.nosuch to \.crabbox\.yaml\)$/m,
    },
    {
      config: PLAN_CONFIG,
      want: /^fail\s+job-defined\s+jobs\.nosuch is not defined \(configured: argv, prime, report\)$/m,
    },
  ];
  for (const { config, want } of table) {
    const repo = await sampleRepo(config);
    const cli = await fakeCli({ cwd: repo });
    try {
      const result = await cli.run("job", "run", "nosuch", "--dry-run");
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stdout, want);
      assert.match(result.stderr, /^crabbox: error: dry-run of job "nosuch" failed its contract checks$/m);
      assert.deepEqual(cli.hetzner.calls, [], "offline");
    } finally {
      await cli.cleanup();
      await Deno.remove(repo, { recursive: true });
    }
  }
});

Deno.test("job run without a name: exit 2, and the hint names the jobs there are or says to add one", async () => {
  const table = [
    { config: "{}\n", hint: "no jobs configured: add jobs: to .crabbox.yaml (see crabbox job list)" },
    {
      config: PLAN_CONFIG,
      hint: "name one of the jobs of .crabbox.yaml: argv, prime, report (crabbox job list describes them)",
    },
    {
      config: "jobs:\n  ui:\n    command: pnpm e2e\n    desktop: true\n  unit:\n    command: make test\n",
      hint:
        "name one of the jobs of .crabbox.yaml: unit (not runnable here: ui; crabbox job list describes them)",
    },
    // A config that does not load leaves commander's own hint (`job list` names the problem).
    { config: "jobs: [1\n", hint: "run 'crabbox job run --help' for usage" },
  ];
  for (const { config, hint } of table) {
    const repo = await sampleRepo(config);
    const cli = await fakeCli({ cwd: repo });
    try {
      const result = await cli.run("job", "run");
      assert.equal(result.code, 2, result.stderr);
      assert.equal(
        result.stderr,
        `crabbox: error: missing required argument 'name'\ncrabbox: hint: ${hint}\n`,
      );
      assert.deepEqual(cli.hetzner.calls, [], "offline");
    } finally {
      await cli.cleanup();
      await Deno.remove(repo, { recursive: true });
    }
  }
});

/**
 * The compatibility suite (issue 9): `.crabbox.yaml` files as the Go crabbox CLI (openclaw/crabbox) writes
 * and documents them, read by this CLI in direct Hetzner mode. For each fixture in tests/fixtures/go/: what
 * loads, every warning, every refusal, which jobs run here, and that `job run --dry-run` of every job this
 * CLI can serve succeeds offline (no token, no API call).
 */
import assert from "node:assert/strict";
import { fakeCli } from "./_fakes.ts";

const FIXTURES = new URL("../fixtures/go/", import.meta.url).pathname;

interface Scenario {
  repoFile: string;
  userFile?: string;
  env?: Record<string, string>;
}

interface Result {
  code: number;
  stdout: string;
  warnings: string[];
  errors: string[];
  hints: string[];
  calls: string[];
}

/** Runs the CLI in a fresh repo holding the fixture; paths in output become `<repo>` and `<user>`. */
async function run(scenario: Scenario, ...argv: string[]): Promise<Result> {
  const repo = await Deno.makeTempDir({ prefix: "cbx-compat-" });
  try {
    const init = await new Deno.Command("git", { args: ["init", "-q", repo] }).output();
    assert.ok(init.success);
    await Deno.copyFile(`${FIXTURES}${scenario.repoFile}`, `${repo}/.crabbox.yaml`);
    // No token: everything asserted here is offline.
    const cli = await fakeCli({ cwd: repo, env: { HCLOUD_TOKEN: "", ...scenario.env } });
    try {
      if (scenario.userFile) {
        await Deno.mkdir(`${cli.home}/.config/crabbox`, { recursive: true });
        await Deno.copyFile(`${FIXTURES}${scenario.userFile}`, `${cli.home}/.config/crabbox/config.yaml`);
      }
      const result = await cli.run(...argv);
      const clean = (text: string) =>
        text.replaceAll(`${repo}/.crabbox.yaml`, "<repo>").replaceAll(
          `${cli.home}/.config/crabbox/config.yaml`,
          "<user>",
        );
      const lines = clean(result.stderr).split("\n").filter(Boolean);
      const pick = (prefix: string) =>
        lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
      assert.ok(!result.stderr.includes("this is a bug"), result.stderr);
      return {
        code: result.code,
        stdout: clean(result.stdout),
        warnings: pick("crabbox: warning: "),
        errors: pick("crabbox: error: "),
        hints: pick("crabbox: hint: "),
        calls: cli.hetzner.calls,
      };
    } finally {
      await cli.cleanup();
    }
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
}

/** `job list --json` as name → unavailable reasons. */
async function jobs(scenario: Scenario, ...flags: string[]): Promise<Record<string, string[]>> {
  const listed = await run(scenario, ...flags, "job", "list", "--json");
  assert.equal(listed.code, 0, listed.errors.join("\n"));
  const parsed = JSON.parse(listed.stdout) as { name: string; runnable: boolean; unavailable: string[] }[];
  for (const job of parsed) assert.equal(job.runnable, job.unavailable.length === 0, job.name);
  return Object.fromEntries(parsed.map((j) => [j.name, j.unavailable]));
}

/** Every runnable job's dry-run succeeds offline, with its plan; returns the printed plans. */
async function dryRunAll(scenario: Scenario, listed: Record<string, string[]>, ...flags: string[]) {
  const plans: Record<string, string> = {};
  for (const [name, unavailable] of Object.entries(listed)) {
    if (unavailable.length > 0) continue;
    const result = await run(scenario, ...flags, "job", "run", name, "--dry-run");
    assert.equal(result.code, 0, `${name}: ${result.errors.join("\n")}\n${result.stdout}`);
    assert.doesNotMatch(result.stdout, /^fail /m, name);
    assert.deepEqual(result.calls, [], `${name}: no API call`);
    plans[name] = result.stdout;
  }
  return plans;
}

const CAPACITY = "capacity is not applicable here: capacity markets, strategies and regions are AWS/Azure " +
  "features; Hetzner has one market, and locations come from hetzner.locations; ignored";
const ACTIONS = "is not applicable here: GitHub Actions hydration is not done in direct mode: the box will " +
  "not be hydrated by a workflow (git hydration, sync.hydrate, still runs); ignored";
const CACHE = "cache is not applicable here: provider-backed caches and cache volumes are not available on " +
  "Hetzner here; ignored";
const PROVIDER_HINT = "set provider: hetzner (or remove it), or pass --provider hetzner (or set " +
  "CRABBOX_PROVIDER=hetzner) to lease on Hetzner with this file's generic settings";

Deno.test("Go `crabbox init` output: loads with one warning per not-applicable key; its job dry-runs offline", async () => {
  const scenario = { repoFile: "init.yaml" };
  const shown = await run(scenario, "config", "show");
  assert.equal(shown.code, 0, shown.errors.join("\n"));
  assert.deepEqual(shown.errors, []);
  assert.deepEqual(shown.warnings, [
    `<repo>:3:1: ${CAPACITY}`,
    `<repo>:7:1: actions ${ACTIONS}`,
    "<repo>:18:3: sync.gitOverlay is not applicable here: the Go CLI's git overlay mode is not implemented; " +
    "rsync plus git hydration is used; ignored",
    `<repo>:44:1: ${CACHE}`,
    `<repo>:1: profile "webapp-check" has no profiles.webapp-check entry; it is used as a plain label`,
  ]);
  // ssh.port "2222" and fallbackPorts ["22"] are numbers; sync.gitSeed is sync.hydrate; preflightTools kept.
  for (
    const line of [
      /^profile=webapp-check {2}\(repo <repo>:1\)$/m,
      /^ssh\.port=2222 {2}\(repo <repo>:40\)$/m,
      /^ssh\.fallbackPorts=22 {2}\(repo <repo>:42\)$/m,
      /^sync\.hydrate=true {2}\(repo <repo>:17\)$/m,
      /^sync\.warnBytes=5\.0 GiB {2}\(repo <repo>:22\)$/m,
      /^run\.preflightTools=node,pnpm {2}\(repo <repo>:31\)$/m,
      /^provider=hetzner {2}\(default\)$/m,
    ]
  ) assert.match(shown.stdout, line);
  const listed = await jobs(scenario);
  assert.deepEqual(listed, { detected: [] });
  const plans = await dryRunAll(scenario, listed);
  assert.match(
    plans.detected,
    /^crabbox warmup --profile webapp-check --class beast --ttl 1h30m --idle-timeout 30m$/m,
  );
  // shell: true with a folded (>) command: one bash -lc line, without the block scalar's newline.
  assert.match(
    plans.detected,
    /^crabbox run --id '<lease>' --shell -- 'pnpm install --frozen-lockfile && pnpm test'$/m,
  );
});

Deno.test("AWS template: refused as a default with the reason; --provider hetzner or CRABBOX_PROVIDER runs it here", async () => {
  const scenario = { repoFile: "aws.yaml" };
  for (const argv of [["job", "list"], ["config", "show"], ["run", "--", "true"], ["warmup"]]) {
    const refused = await run(scenario, ...argv);
    assert.equal(refused.code, 2, argv.join(" "));
    assert.deepEqual(refused.errors, [
      `<repo>:2: provider "aws" is not supported: this crabbox leases Hetzner Cloud directly`,
    ]);
    assert.deepEqual(refused.hints, [PROVIDER_HINT]);
    assert.deepEqual(refused.calls, []);
  }
  const overridden = [
    "<repo>:14:1: aws is not applicable here: settings of another provider (aws); this crabbox leases " +
    "Hetzner Cloud directly; ignored",
    `<repo>:23:1: ${CAPACITY}`,
    `<repo>:2: provider "aws" is overridden by --provider hetzner; its provider-specific settings are not applied`,
    `<repo>:8: serverType "c7a.48xlarge" is for provider "aws"; ignored on Hetzner (the class picks the server type)`,
    `<repo>:6: profile "project-check" has no profiles.project-check entry; it is used as a plain label`,
  ];
  const shown = await run(scenario, "--provider", "hetzner", "config", "show");
  assert.equal(shown.code, 0, shown.errors.join("\n"));
  assert.deepEqual(shown.warnings, overridden);
  for (
    const line of [
      /^provider=hetzner {2}\(flag --provider\)$/m,
      /^serverType= {2}\(default\)$/m,
      /^hetzner\.image=ubuntu-24\.04 {2}\(repo <repo>:5\)$/m, // os: ubuntu:24.04
      /^ttl=1h30m {2}\(repo <repo>:13\)$/m, // lease.ttl
      /^idleTimeout=30m {2}\(repo <repo>:12\)$/m, // lease.idleTimeout
      /^workRoot=\/srv\/crabbox {2}\(repo <repo>:10\)$/m,
    ]
  ) assert.match(shown.stdout, line);
  const viaEnv = await run({ ...scenario, env: { CRABBOX_PROVIDER: "hetzner" } }, "config", "show");
  assert.equal(viaEnv.code, 0, viaEnv.errors.join("\n"));
  assert.match(viaEnv.warnings.join("\n"), /provider "aws" is overridden by CRABBOX_PROVIDER=hetzner/);
  assert.match(viaEnv.stdout, /^provider=hetzner {2}\(env CRABBOX_PROVIDER\)$/m);
  const listed = await jobs(scenario, "--provider", "hetzner");
  assert.deepEqual(listed, { test: [] });
  const plans = await dryRunAll(scenario, listed, "--provider", "hetzner");
  assert.match(
    plans.test,
    /^crabbox warmup --profile project-check --class beast --ttl 1h30m --idle-timeout 30m$/m,
  );
  // Another provider on the command line is still a usage error.
  const other = await run(scenario, "--provider", "aws", "job", "list");
  assert.deepEqual([other.code, other.errors], [2, ['unknown provider "aws"']]);
});

Deno.test("Blacksmith template: its sections are not applicable; profiles.<name>.env becomes env.set", async () => {
  const scenario = { repoFile: "blacksmith.yaml" };
  const refused = await run(scenario, "job", "list");
  assert.equal(refused.code, 2);
  assert.deepEqual(refused.errors, [
    `<repo>:2: provider "blacksmith-testbox" is not supported: this crabbox leases Hetzner Cloud directly`,
  ]);
  const shown = await run(scenario, "--provider", "hetzner", "config", "show", "--json");
  assert.equal(shown.code, 0, shown.errors.join("\n"));
  assert.deepEqual(shown.warnings, [
    "<repo>:3:1: blacksmith is not applicable here: settings of another provider (blacksmith); this crabbox " +
    "leases Hetzner Cloud directly; ignored",
    `<repo>:10:1: actions ${ACTIONS}`,
    `<repo>:13:1: ${CACHE}`,
    "<repo>:28:5: profiles.ci.artifactGlobs is not applicable here: a profile's artifact globs are not " +
    "collected by run; list artifacts: in a job, or pass run --artifact; ignored",
    "<repo>:30:5: profiles.ci.doctor is not applicable here: crabbox doctor checks this machine and the API; " +
    "use run.preflightTools for the box; ignored",
    '<repo>:2: provider "blacksmith-testbox" is overridden by --provider hetzner; its provider-specific ' +
    "settings are not applied",
  ]);
  const values = JSON.parse(shown.stdout).values;
  // The selected profile's literal env values are env.set; its nested allow and envAllow append.
  assert.deepEqual(values["env.set"].source, "profile ci");
  assert.equal(values["env.set"].value, "CI,NODE_OPTIONS");
  assert.equal(values["env.allow"].value, "CI,NODE_OPTIONS,QA_*,QA_TEST_PROJECTS_PARALLEL");
  const listed = await jobs(scenario, "--provider", "hetzner");
  assert.deepEqual(listed, { check: [] });
  const plans = await dryRunAll(scenario, listed, "--provider", "hetzner");
  assert.match(plans.check, /^crabbox warmup --profile ci --class beast /m);
  assert.match(plans.check, /^ok {4}env-values {6}env\.set has 2 value\(s\); none looks secret$/m);
});

Deno.test("Go jobs file: merge keys, shell, artifactGlobs, junit, lease.*, and jobs for other providers", async () => {
  const scenario = { repoFile: "jobs.yaml" };
  const listed = await jobs(scenario);
  const reasons: Record<string, string[]> = { ...listed };
  const desktop = "desktop, browser and code-server leases (VNC) are not available here";
  assert.deepEqual(listed, {
    arm: [],
    desktop: [
      `desktop true is not supported: ${desktop} (<repo>:77:5)`,
      `browser true is not supported: ${desktop} (<repo>:78:5)`,
      `network "tailscale" is not supported: this crabbox reaches boxes over their public IPv4; Tailscale is ` +
      "not available (<repo>:79:5)",
    ],
    lint: [],
    smoke: [],
    sync: [],
    unit: [],
    windows: [
      `provider "aws" is not supported: this crabbox leases Hetzner Cloud directly (<repo>:56:5)`,
      `target "windows" is not supported: this crabbox leases Linux servers on Hetzner Cloud (<repo>:57:5)`,
    ],
  });
  const listing = await run(scenario, "job", "list");
  assert.deepEqual(listing.warnings, [
    "<repo>:43:5: jobs.smoke.idleTimeout 1h is longer than its ttl 30m (<repo>:42:5); the ttl caps it",
    "<repo>:58:5: jobs.windows.windows is not applicable here: Windows targets only; ignored",
    "<repo>:61:5: jobs.windows.market is not applicable here: capacity markets, strategies and regions are " +
    "AWS/Azure features; Hetzner has one market, and locations come from hetzner.locations; ignored",
    `<repo>:63:5: jobs.windows.hydrate ${ACTIONS}`,
    `<repo>:67:5: jobs.windows.actions ${ACTIONS}`,
  ]);
  assert.match(listing.stdout, /^unit {5}stop=always {2}unit tests$/m, "label shown without a description");
  assert.match(
    listing.stdout,
    /^windows {2}stop=always .*\[not runnable here: provider "aws" is not supported/m,
  );

  const plans = await dryRunAll(scenario, listed);
  assert.deepEqual(Object.keys(plans).sort(), ["arm", "lint", "smoke", "sync", "unit"]);
  // lease.ttl/lease.idleTimeout are the defaults; `<<: [*defaults, *artifacts]` merges both anchors.
  assert.match(
    plans.unit,
    /^crabbox warmup --profile default --class standard --ttl 2h --idle-timeout 45m$/m,
  );
  assert.match(plans.unit, /^crabbox stop '<lease>' {4}# stop=always/m);
  // shell: false splits on whitespace into argv, as the Go CLI does.
  assert.match(
    plans.lint,
    /^crabbox run --id '<lease>' --junit reports\/junit\.xml -- pnpm lint --max-warnings 0$/m,
  );
  assert.match(
    plans.unit,
    /^crabbox run --id '<lease>' --junit reports\/junit\.xml --artifact 'reports\/\*\*' --require-artifact reports\/summary\.json --shell -- 'pnpm install --frozen-lockfile && CI=1 pnpm test'$/m,
  );
  // shell: false with an operator or a leading NAME=value: a shell line, as the Go CLI builds it.
  assert.match(plans.smoke, /^crabbox warmup --profile default --type cpx32 --ttl 30m --idle-timeout 30m$/m);
  assert.match(
    plans.smoke,
    /^crabbox run --id '<lease>' --checksum --force-sync-large --junit reports\/junit\.xml --download out\/report\.json=artifacts\/report\.json --shell -- 'FOO=1 make smoke && echo done'$/m,
  );
  assert.match(
    plans.arm,
    /^crabbox warmup --profile default --class small --arch arm64 --ttl 2h --idle-timeout 45m$/m,
  );
  assert.match(plans.sync, /^crabbox run --id '<lease>' --sync-only$/m);

  const plan = async (name: string) => {
    const result = await run(scenario, "job", "run", name, "--dry-run", "--json");
    assert.equal(result.code, 0);
    return JSON.parse(result.stdout);
  };
  assert.deepEqual((await plan("arm")).lease.serverTypes, ["cax21"]);
  assert.deepEqual((await plan("smoke")).lease.serverTypes, ["cpx32"]);

  for (const name of ["windows", "desktop"]) {
    for (const extra of [[], ["--dry-run"]]) {
      const refused = await run(scenario, "job", "run", name, ...extra);
      assert.equal(refused.code, 2, name);
      assert.equal(refused.errors.length, 1);
      assert.match(refused.errors[0], new RegExp(`^job "${name}" cannot run here: .*is not supported`));
      assert.equal(refused.errors[0], `job "${name}" cannot run here: ${reasons[name].join("; ")}`);
      assert.match(refused.hints[0], /^run it with the Go crabbox CLI/);
      assert.deepEqual(refused.calls, []);
    }
  }
  // --provider hetzner makes the AWS job run here; its Windows target still cannot.
  const forced = await jobs(scenario, "--provider", "hetzner");
  assert.deepEqual(forced.windows, [
    `target "windows" is not supported: this crabbox leases Linux servers on Hetzner Cloud (<repo>:57:5)`,
  ]);
});

Deno.test("typos stay errors with a did-you-mean, all reported in one pass", async () => {
  const result = await run({ repoFile: "typos.yaml" }, "job", "list");
  assert.equal(result.code, 2);
  assert.deepEqual(result.errors, [
    `<repo>:2:1: unknown key "clas" (did you mean "class"?)`,
    `<repo>:4:3: unknown key "gitsed" in sync (did you mean "gitSeed"?)`,
    `<repo>:5:1: unknown key "capacty" (did you mean "capacity"?)`,
    `<repo>:9:5: unknown key "comand" in jobs.test (did you mean "command"?)`,
    `<repo>:10:5: unknown key "artifactGlob" in jobs.test (did you mean "artifactGlobs"?)`,
  ]);
  assert.equal(result.hints.at(-1), "5 problems in <repo>; fix each one above");
  assert.equal(result.hints.length, 6, "each problem has its fix, then the summary");
});

Deno.test("a Go user config with a broker, a coordinator and Tailscale: each refused at its line", async () => {
  const result = await run({ repoFile: "init.yaml", userFile: "broker_user.yaml" }, "job", "list");
  assert.equal(result.code, 2);
  const broker = "there is no broker or coordinator here; this crabbox leases Hetzner Cloud directly";
  assert.deepEqual(result.errors, [
    `<user>:2:1: broker is not supported: ${broker}`,
    `<user>:6:1: coordinator is not supported: ${broker}`,
    "<user>:7:1: tailscale enabled: true is not supported: Tailscale is not available here; boxes are " +
    "reached over their public IPv4",
    `<user>:10: provider "aws" is not supported: this crabbox leases Hetzner Cloud directly`,
  ]);
  assert.equal(result.hints.at(-1), "4 problems in <user>; fix each one above");
});

Deno.test("dry-run plans carry every flag the job sets; multi-line commands quoted; bounds name their sources", async () => {
  const repo = await Deno.makeTempDir({ prefix: "cbx-plan-" });
  try {
    await new Deno.Command("git", { args: ["init", "-q", repo] }).output();
    await Deno.writeTextFile(
      `${repo}/.crabbox.yaml`,
      [
        "ttl: 2h",
        "hetzner:",
        "  location: hel1",
        "jobs:",
        "  full:",
        "    image: debian-12",
        "    workdir: packages/api",
        "    timeout: 20m",
        "    keep: true",
        "    env:",
        "      allow: [NPM_CONFIG_REGISTRY, PROJECT_*]",
        "      set: {LANG: C.UTF-8}",
        "    command: |",
        '      echo "a b"',
        "      make test",
        "  long:",
        "    command: make",
        "    timeout: 3h",
        "",
      ].join("\n"),
    );
    const cli = await fakeCli({ cwd: repo, env: { HCLOUD_TOKEN: "" } });
    try {
      const full = await cli.run("job", "run", "full", "--dry-run");
      assert.equal(full.code, 0, full.stderr);
      const lines = full.stdout.split("\n");
      assert.equal(
        lines[1],
        "crabbox warmup --profile default --class beast --location hel1 --image debian-12 --ttl 2h " +
          "--idle-timeout 30m --keep",
      );
      // One single-quoted argument spanning both lines of the block scalar.
      assert.equal(
        lines.slice(2, 4).join("\n"),
        "crabbox run --id '<lease>' --workdir packages/api --timeout 20m " +
          "--allow-env 'NPM_CONFIG_REGISTRY,PROJECT_*' --shell -- 'echo \"a b\"\nmake test'",
      );
      assert.match(full.stdout, /^ok {4}env-values {6}env\.set has 1 value\(s\); none looks secret$/m);
      const long = await cli.run("job", "run", "long", "--dry-run");
      assert.equal(long.code, 2);
      assert.match(
        long.stdout,
        /^fail {2}lease-bounds {4}timeout 3h \(jobs\.long\.timeout \(\.crabbox\.yaml:18:5\)\) > ttl 2h \(repo \S+\/\.crabbox\.yaml:1\)$/m,
      );
      assert.deepEqual(cli.hetzner.calls, []);
    } finally {
      await cli.cleanup();
    }
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

/** The Go crabbox keys' fates (config/compat.ts), YAML merge keys, and the rules they feed. Table-driven. */
import assert from "node:assert/strict";
import { readConfigFile, validateFile } from "../../config/validate.ts";
import { Problems } from "../../config/problems.ts";
import {
  GO_JOB_KEYS,
  GO_PROFILE_KEYS,
  GO_TOP_KEYS,
  lookupGoKey,
  providerProblem,
  targetProblem,
} from "../../config/compat.ts";
import { JOB_KEYS, KEYS, PROFILE_KEYS } from "../../config/schema.ts";
import { CrabboxError } from "../../core/errors.ts";
import { jobCommandMode } from "../../jobs/plan.ts";
import { architectureProblem, serverTypesFor } from "../../lease/classes.ts";
import { editDistance } from "../../config/values.ts";

const PATH = ".crabbox.yaml";

function read(text: string, kind: "repo" | "user" = "repo") {
  const problems = new Problems();
  const layer = readConfigFile(text, PATH, kind, problems);
  const settings = Object.fromEntries(Object.entries(layer.settings).map(([k, s]) => [k, s.value]));
  return {
    settings,
    warnings: layer.compatWarnings.map((w) => w.message),
    errors: problems.list.map((p) => p.message),
    layer,
  };
}

Deno.test("Go spellings map to native keys", () => {
  const rows: [string, Record<string, unknown>][] = [
    ['ssh:\n  port: "2222"\n', { "ssh.port": 2222 }],
    ['ssh:\n  fallbackPorts: ["22", "2200"]\n', { "ssh.fallbackPorts": [22, 2200] }],
    ["ssh:\n  fallbackPorts: []\n", { "ssh.fallbackPorts": [] }],
    ["sync:\n  gitSeed: false\n", { "sync.hydrate": false }],
    ["sync:\n  excludes: [a]\n  exclude: [b]\n", { "sync.exclude": ["b", "a"] }],
    ["sync:\n  includes: [src/]\n", { "sync.include": ["src/"] }],
    ["lease:\n  ttl: 4h\n  idleTimeout: 1h\n", { ttl: 4 * 3600, idleTimeout: 3600 }],
    ["ttl: 2h\nlease:\n  ttl: 3h\n", { ttl: 3 * 3600 }],
    ["os: ubuntu:24.04\n", { "hetzner.image": "ubuntu-24.04" }],
    ["targetOS: linux\n", { target: "linux" }],
    ["provider: hetzner\ntarget: linux\narchitecture: arm64\n", {
      provider: "hetzner",
      target: "linux",
      architecture: "arm64",
    }],
    ["network: public\ndesktop: false\nbrowser: false\ncode: false\n", {}],
    ["run:\n  preflightTools: [node, pnpm]\n", { "run.preflightTools": ["node", "pnpm"] }],
    ["x-base: &b small\nclass: *b\n", { class: "small" }],
  ];
  for (const [text, settings] of rows) {
    const result = read(text);
    assert.deepEqual(result.errors, [], text);
    assert.deepEqual(result.warnings, [], text);
    assert.deepEqual(result.settings, settings, text);
  }
});

Deno.test("accepted but not applicable: one warning per key, saying why; the value is not applied", () => {
  const rows: [string, RegExp][] = [
    [
      "capacity:\n  market: spot\n  regions: [eu-west-1]\n",
      /^\.crabbox\.yaml:1:1: capacity is not applicable here: capacity markets/,
    ],
    ["market: spot\n", /^\.crabbox\.yaml:1:1: market is not applicable here/],
    [
      "actions:\n  workflow: x.yml\n",
      /actions is not applicable here: GitHub Actions hydration is not done in direct mode: the box will not be hydrated/,
    ],
    ["cache:\n  volumes: []\n", /cache is not applicable here: provider-backed caches/],
    ["doctor:\n  tools: [node]\n", /doctor is not applicable here/],
    ["results:\n  junit: [a.xml]\n", /^\.crabbox\.yaml:2:3: results\.junit is not applicable here/],
    ["results:\n  failOnFailures: true\n", /results\.failOnFailures is not applicable here/],
    ["shard:\n  maxCount: 4\n", /shard is not applicable here/],
    ["aws:\n  region: eu-west-1\n", /aws is not applicable here: settings of another provider \(aws\)/],
    ["blacksmith:\n  org: x\n", /blacksmith is not applicable here/],
    ["static:\n  id: h\n", /static\.id is not applicable here: the lease id of a static host/],
    ["tailscale:\n  enabled: false\n", /tailscale is not applicable here: Tailscale is not available/],
    [
      "hetzner:\n  sshKey: mine\n",
      /hetzner\.sshKey is not applicable here: crabbox always creates a labelled per-lease/,
    ],
    ["static:\n  name: x\n", /static\.name is not applicable here: the slug of a static host/],
    ["windows:\n  mode: wsl2\n", /windows is not applicable here: Windows targets only/],
    ["desktopEnv: xfce\n", /desktopEnv is not applicable here/],
    ["presets:\n  a: {command: x}\n", /presets is not applicable here/],
    ["proofTemplates:\n  a: {exactSteps: x}\n", /proofTemplates is not applicable here/],
    ["warmup:\n  keep: true\n", /warmup is not applicable here/],
    ["sync:\n  gitOverlay: true\n", /sync\.gitOverlay is not applicable here/],
    [
      "os: ubuntu:26.04\n",
      /os "ubuntu:26\.04": Hetzner has no Ubuntu 26\.04 image, so ubuntu-24\.04 is used/,
    ],
    [
      "os: ubuntu:24.04\nhetzner:\n  image: debian-12\n",
      /os is ignored: hetzner\.image is also set \(\.crabbox\.yaml:3:3\)/,
    ],
  ];
  for (const [text, warning] of rows) {
    const result = read(text);
    assert.deepEqual(result.errors, [], text);
    assert.equal(result.warnings.length, 1, `${text}: ${result.warnings}`);
    assert.match(result.warnings[0], warning, text);
    assert.doesNotMatch(result.warnings[0], /undefined/);
  }
  assert.deepEqual(read("os: ubuntu:26.04\n").settings, { "hetzner.image": "ubuntu-24.04" });
  assert.deepEqual(read("os: ubuntu:24.04\nhetzner:\n  image: debian-12\n").settings, {
    "hetzner.image": "debian-12",
  });
});

Deno.test("refused: an error naming the key, the value and why", () => {
  const broker = "there is no broker or coordinator here; this crabbox leases Hetzner Cloud directly";
  const rows: [string, string][] = [
    ["broker:\n  url: https://b.example\n", `.crabbox.yaml:1:1: broker is not supported: ${broker}`],
    ["coordinator: https://c.example\n", `.crabbox.yaml:1:1: coordinator is not supported: ${broker}`],
    [
      "hostId: h-1\n",
      ".crabbox.yaml:1:1: hostId is not supported: dedicated hosts are for the broker and AWS; " +
      "this crabbox leases Hetzner Cloud directly",
    ],
    [
      "tailscale:\n  enabled: true\n",
      ".crabbox.yaml:1:1: tailscale enabled: true is not supported: Tailscale is not available here; boxes are " +
      "reached over their public IPv4",
    ],
    [
      "network: tailscale\n",
      '.crabbox.yaml:1:10: network "tailscale" is not supported: this crabbox reaches boxes over their public ' +
      "IPv4; Tailscale is not available",
    ],
    ["network: lan\n", '.crabbox.yaml:1:10: network must be one of auto, public, tailscale, got "lan"'],
    [
      "desktop: true\n",
      ".crabbox.yaml:1:10: desktop true is not supported: desktop, browser and code-server leases (VNC) are " +
      "not available here",
    ],
    [
      "os: debian:12\n",
      '.crabbox.yaml:1:5: os "debian:12" is not supported: os takes ubuntu:24.04 or ubuntu:26.04 ' +
      "(both are the Hetzner image ubuntu-24.04); name any other image with hetzner.image",
    ],
    ["target: plan9\n", '.crabbox.yaml:1:9: target must be one of linux, macos, windows, got "plan9"'],
    ["architecture: riscv\n", '.crabbox.yaml:1:15: architecture must be one of amd64, arm64, got "riscv"'],
    [
      "sync:\n  gitSeed: true\n  hydrate: false\n",
      ".crabbox.yaml:2:3: sync.gitSeed and sync.hydrate are both set (sync.gitSeed is the Go crabbox name of " +
      "sync.hydrate)",
    ],
    ['ssh:\n  port: "22x"\n', '.crabbox.yaml:2:9: ssh.port must be a whole number, got "22x"'],
    [
      'run:\n  preflightTools: ["node; rm"]\n',
      ".crabbox.yaml:2:19: run.preflightTools has an invalid tool name " +
      '"node; rm" (letters, digits, . _ + -)',
    ],
  ];
  for (const [text, message] of rows) {
    const result = read(text);
    assert.deepEqual(result.errors, [message], text);
  }
});

Deno.test("every problem of a file in one pass, in file order, each with its own fix", () => {
  const text = "clas: beast\nbroker: {url: x}\nsync:\n  gitsed: true\njobs:\n  t:\n    comand: x\nttl: 1d\n";
  try {
    validateFile(text, PATH, "repo");
    assert.fail("no error");
  } catch (error) {
    assert.ok(error instanceof CrabboxError);
    assert.equal(error.exitCode, 2);
    assert.deepEqual(error.problems.map((p) => p.message), [
      '.crabbox.yaml:1:1: unknown key "clas" (did you mean "class"?)',
      ".crabbox.yaml:2:1: broker is not supported: there is no broker or coordinator here; this crabbox " +
      "leases Hetzner Cloud directly",
      '.crabbox.yaml:4:3: unknown key "gitsed" in sync (did you mean "gitSeed"?)',
      '.crabbox.yaml:7:5: unknown key "comand" in jobs.t (did you mean "command"?)',
      '.crabbox.yaml:8:6: ttl must be a duration like 90m or 1h30m, got "1d"',
    ]);
    assert.ok(error.problems.every((p) => p.hint && p.hint.length > 10));
    assert.equal(error.message, error.problems.map((p) => p.message).join("\n"));
    assert.equal(error.hint, "5 problems in .crabbox.yaml; fix each one above");
  }
});

Deno.test("YAML merge keys: own keys win, earlier merges win over later, nested and in jobs", () => {
  const text = [
    "x-base: &base",
    "  class: small",
    "  stop: always",
    "  ttl: 1h",
    "x-more: &more",
    "  stop: never",
    "  timeout: 10m",
    "jobs:",
    "  a:",
    "    <<: *base",
    "    command: make",
    "  b:",
    "    <<: [*base, *more]",
    "    class: large",
    "    command: make",
    "  c:",
    "    <<: *more",
    "    <<: *base", // a second merge key is a duplicate key
    "    command: make",
    "",
  ].join("\n");
  const dup = read(text);
  assert.match(dup.errors[0], /^\.crabbox\.yaml:18:5: Map keys must be unique/);
  const ok = read(text.replace("    <<: *more\n    <<: *base\n", "    <<: *more\n"));
  assert.deepEqual(ok.errors, []);
  const jobs = ok.layer.jobs;
  assert.deepEqual(jobs.a.values, { class: "small", stop: "always", ttl: 3600, command: "make" });
  assert.deepEqual(jobs.b.values, {
    class: "large",
    stop: "always",
    ttl: 3600,
    timeout: 600,
    command: "make",
  });
  assert.deepEqual(jobs.c.values, { stop: "never", timeout: 600, command: "make" });
  // A merged key that is wrong is reported where it is written (the anchor).
  const bad = read("x-base: &b\n  comand: x\njobs:\n  a:\n    <<: *b\n    command: y\n");
  assert.deepEqual(bad.errors, [
    '.crabbox.yaml:2:3: unknown key "comand" in jobs.a (did you mean "command"?)',
  ]);
  // Merging works at the top level, into maps (env.set) and through nested anchors.
  const nested = read(
    "x-env: &env {A: '1'}\nx-set: &set\n  set:\n    <<: *env\n    B: '2'\nenv:\n  <<: *set\n  allow: [CI]\n",
  );
  assert.deepEqual(nested.errors, []);
  assert.deepEqual(nested.settings, { "env.set": { B: "2", A: "1" }, "env.allow": ["CI"] });
  const top = read("x-d: &d {class: tiny, ttl: 2h}\n<<: *d\nttl: 3h\n");
  assert.deepEqual(top.settings, { class: "tiny", ttl: 3 * 3600 });
  assert.deepEqual(read("<<: [1, 2]\n").errors, [
    '.crabbox.yaml:1:5: a merge key (<<) must name a map, like "<<: *defaults"',
  ]);
  assert.deepEqual(read('"<<": {class: tiny}\n').errors, ['.crabbox.yaml:1:1: unknown key "<<"']);
});

Deno.test("profiles: the Go CLI's env map is env.set, its nested allow and envAllow append", () => {
  const result = read(
    "profiles:\n  qa:\n    env:\n      CI: 1\n      NODE_OPTIONS: --x\n      allow: [QA_*]\n    envAllow: [QA_N]\n",
  );
  assert.deepEqual(result.errors, []);
  const qa = Object.fromEntries(Object.entries(result.layer.profiles.qa).map(([k, s]) => [k, s.value]));
  assert.deepEqual(qa, { "env.set": { CI: "1", NODE_OPTIONS: "--x" }, "env.allow": ["QA_*", "QA_N"] });
  assert.deepEqual(read("profiles:\n  qa:\n    env:\n      CI: [1]\n").errors, [
    ".crabbox.yaml:4:11: profiles.qa.env.CI must be a string value, got a list",
  ]);
  assert.deepEqual(read("profiles:\n  qa:\n    env:\n      1X: a\n").errors, [
    '.crabbox.yaml:4:11: profiles.qa.env.set name "1X" is not a valid environment variable name',
  ]);
});

Deno.test("jobs: Go job keys; other providers' routing makes a job unavailable, not the file invalid", () => {
  const text = [
    "jobs:",
    "  t:",
    "    type: cpx32",
    "    artifactGlobs: [reports/**]",
    "    artifacts: [out/**]",
    "    targetOS: linux",
    "    shell: false",
    "    command: make test",
    "    label: nightly",
    "    downloads: [out/r.json=artifacts/r.json]",
    "    checksum: true",
    "    forceSyncLarge: true",
    "    market: spot",
    "    hydrate: {actions: true}",
    "    network: tailscale",
    "    desktop: true",
    "",
  ].join("\n");
  const result = read(text);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.layer.jobs.t.values, {
    serverType: "cpx32",
    artifacts: ["out/**", "reports/**"],
    target: "linux",
    shell: false,
    command: "make test",
    label: "nightly",
    downloads: ["out/r.json=artifacts/r.json"],
    checksum: true,
    forceSyncLarge: true,
  });
  assert.equal(result.warnings.length, 2);
  assert.match(result.warnings[0], /^\.crabbox\.yaml:13:5: jobs\.t\.market is not applicable here/);
  assert.match(result.warnings[1], /^\.crabbox\.yaml:14:5: jobs\.t\.hydrate is not applicable here/);
  assert.deepEqual(result.layer.jobs.t.unavailable, [
    'network "tailscale" is not supported: this crabbox reaches boxes over their public IPv4; Tailscale is not ' +
    "available (.crabbox.yaml:15:5)",
    "desktop true is not supported: desktop, browser and code-server leases (VNC) are not available here " +
    "(.crabbox.yaml:16:5)",
  ]);
  const rows: [string, string][] = [
    ["    type: cpx32\n    serverType: cx23\n", "jobs.t.type and jobs.t.serverType are both set"],
    ["    shell: true\n    command: [make]\n", "jobs.t sets shell: true with a list command"],
    ["    downloads: [a]\n", "jobs.t.downloads entries must be remote=local"],
    ["    downloads: [../a=b]\n", "jobs.t.downloads entries must be relative paths"],
    ["    downloads: [a=/etc/passwd]\n", "jobs.t.downloads entries must be relative paths"],
    ["    downloads: [hook=.git/hooks/pre-commit]\n", "jobs.t.downloads entries must not write into .git/"],
    ["    downloads: [cfg=sub/.GIT/config]\n", "jobs.t.downloads entries must not write into .git/"],
    ["    architecture: x86\n", 'jobs.t.architecture must be one of amd64, arm64, got "x86"'],
  ];
  for (const [body, message] of rows) {
    const errors = read(`jobs:\n  t:\n${body}${body.includes("command") ? "" : "    command: x\n"}`).errors;
    assert.equal(errors.length, 1, `${body}: ${errors}`);
    assert.ok(errors[0].includes(message), `${body}: ${errors[0]}`);
  }
});

Deno.test("how a job command runs: bash -lc, argv, or the Go CLI's shell: false splitting", () => {
  const rows: [string | string[], boolean | null, "shell" | "argv", string[]][] = [
    ["pnpm test", null, "shell", ["pnpm test"]],
    ["pnpm test\n", true, "shell", ["pnpm test"]],
    [["pnpm", "test"], null, "argv", ["pnpm", "test"]],
    [["pnpm", "test"], false, "argv", ["pnpm", "test"]],
    ["pnpm  lint --max-warnings 0", false, "argv", ["pnpm", "lint", "--max-warnings", "0"]],
    ['echo "a b"', false, "argv", ["echo", '"a', 'b"']],
    ["make && make test", false, "shell", ["make && make test"]],
    ["FOO=1 BAR=a'b make", false, "shell", ["FOO=1 BAR='a'\\''b' make"]],
    ["go test ./... | tee out.txt", false, "shell", ["go test ./... | tee out.txt"]],
    ["echo $HOME > x", false, "shell", ["echo '$HOME' > x"]],
  ];
  for (const [command, shell, mode, argv] of rows) {
    assert.deepEqual(jobCommandMode(command, shell), { mode, argv }, JSON.stringify([command, shell]));
  }
});

Deno.test("architecture: classes map to Hetzner's CAX types on arm64; an x86 type with arm64 is a problem", () => {
  const rows: [string, string | undefined, "amd64" | "arm64", string[]][] = [
    ["beast", undefined, "amd64", ["ccx63", "ccx53", "ccx43", "cpx62", "cx53"]],
    ["tiny", undefined, "arm64", ["cax11"]],
    ["small", undefined, "arm64", ["cax21"]],
    ["standard", undefined, "arm64", ["cax31"]],
    ["fast", undefined, "arm64", ["cax41"]],
    ["large", undefined, "arm64", ["cax41"]],
    ["beast", undefined, "arm64", ["cax41"]],
    ["beast", "cax21", "arm64", ["cax21"]],
    ["cax31", undefined, "arm64", ["cax31"]],
  ];
  for (const [cls, type, arch, types] of rows) assert.deepEqual(serverTypesFor(cls, type, arch), types);
  assert.equal(architectureProblem(["cax21"], "arm64"), null);
  assert.equal(architectureProblem(["cax21"], "amd64"), null, "an explicit CAX type still works with amd64");
  assert.match(
    architectureProblem(["ccx63"], "arm64")!,
    /^server type ccx63 is x86, but the architecture is arm64/,
  );
});

Deno.test("the compat tables: every native target exists, and every Go key of GO-CONFIG.md has a fate", () => {
  const tables: [string, Record<string, { fate: string; to?: string; convert?: unknown }>, Set<string>][] = [
    ["top", GO_TOP_KEYS, new Set([...Object.keys(KEYS), "profiles", "jobs"])],
    ["profile", GO_PROFILE_KEYS, new Set(PROFILE_KEYS)],
    ["job", GO_JOB_KEYS, new Set(Object.keys(JOB_KEYS))],
  ];
  for (const [name, table, native] of tables) {
    for (const [key, spec] of Object.entries(table)) {
      if (spec.to) assert.ok(native.has(spec.to), `${name} ${key} → ${spec.to}`);
      if (spec.fate === "same" && !spec.convert && !key.includes("*")) {
        assert.ok(native.has(key), `${name} ${key} is "same" but not a native key`);
      }
    }
  }
  // From GO-CONFIG.md: the top-level keys, the job keys and the profile keys of the Go CLI.
  const top = [
    "profile",
    "provider",
    "target",
    "targetOS",
    "architecture",
    "os",
    "windows.mode",
    "desktop",
    "desktopEnv",
    "browser",
    "code",
    "network",
    "class",
    "serverType",
    "ttl",
    "idleTimeout",
    "workRoot",
    "lease.ttl",
    "lease.idleTimeout",
    "coordinator",
    "coordinatorToken",
    "hostId",
    "broker.url",
    "broker.mode",
    "broker.access.clientId",
    "hetzner.location",
    "hetzner.image",
    "hetzner.sshKey",
    "aws.region",
    "azure.x",
    "gcp.x",
    "static.host",
    "blacksmith.org",
    "ssh.user",
    "ssh.key",
    "ssh.port",
    "ssh.fallbackPorts",
    "sync.exclude",
    "sync.excludes",
    "sync.include",
    "sync.includes",
    "sync.delete",
    "sync.checksum",
    "sync.gitSeed",
    "sync.fingerprint",
    "sync.baseRef",
    "sync.timeout",
    "sync.warnFiles",
    "sync.warnBytes",
    "sync.failFiles",
    "sync.failBytes",
    "sync.allowLarge",
    "env.allow",
    "run.preflightTools",
    "capacity.market",
    "actions.workflow",
    "tailscale.enabled",
    "results.junit",
    "results.auto",
    "results.failOnFailures",
    "shard.maxCount",
    "cache.volumes",
    "presets.x",
    "proofTemplates.x",
    "profiles",
    "jobs",
    "digitalocean.x",
    "appleVZ.x",
    "windowsSandbox.x",
    "localContainer.x",
  ];
  for (const key of top) {
    assert.ok(KEYS[key] || lookupGoKey(GO_TOP_KEYS, key), `top-level ${key} has no fate`);
  }
  const job = [
    "provider",
    "target",
    "targetOS",
    "windows.mode",
    "network",
    "profile",
    "class",
    "architecture",
    "type",
    "serverType",
    "market",
    "capacity.market",
    "ttl",
    "idleTimeout",
    "desktop",
    "desktopEnv",
    "browser",
    "code",
    "hydrate.actions",
    "hydrate.githubRunner",
    "actions.workflow",
    "shell",
    "command",
    "noSync",
    "syncOnly",
    "checksum",
    "forceSyncLarge",
    "junit",
    "label",
    "artifactGlobs",
    "requiredArtifacts",
    "downloads",
    "stop",
  ];
  for (const key of job) assert.ok(JOB_KEYS[key] || lookupGoKey(GO_JOB_KEYS, key), `job ${key} has no fate`);
  const profile = [
    "env.CI",
    "env.allow",
    "envAllow",
    "artifactGlobs",
    "doctor.enabled",
    "presets",
    "proofTemplates",
  ];
  for (const key of profile) {
    assert.ok(
      (PROFILE_KEYS as readonly string[]).includes(key) || lookupGoKey(GO_PROFILE_KEYS, key),
      `profile ${key} has no fate`,
    );
  }
});

Deno.test("crabbox's own keys (budget.*) are native, in no Go table: no warning; a typo is still caught", () => {
  for (const key of ["budget.maxActive", "budget.maxHourly", "budget.scope"]) {
    assert.ok(KEYS[key], key);
    assert.equal(lookupGoKey(GO_TOP_KEYS, key), null, `${key} is not a Go key`);
  }
  const ok = read("budget:\n  maxActive: 2\n  maxHourly: 1.5\n  scope: project\n");
  assert.deepEqual([ok.errors, ok.warnings], [[], []]);
  assert.deepEqual(ok.settings, {
    "budget.maxActive": 2,
    "budget.maxHourly": 1.5,
    "budget.scope": "project",
  });
  assert.match(
    read("budget:\n  maxActiv: 2\n").errors[0],
    /unknown key "maxActiv" in budget \(did you mean "maxActive"\?\)/,
  );
});

Deno.test("did-you-mean counts a swapped pair of letters as one edit", () => {
  const rows: [string, string, number][] = [
    ["jbos", "jobs", 1],
    ["jbos", "os", 2],
    ["idleTimout", "idleTimeout", 1],
    ["", "abc", 3],
    ["abc", "abc", 0],
    ["ca", "abc", 3],
  ];
  for (const [a, b, d] of rows) assert.equal(editDistance(a, b), d, `${a} ${b}`);
});

Deno.test("provider and target values: hetzner/linux serve here; other Go providers are named; typos suggested", () => {
  const direct = "this crabbox leases Hetzner Cloud directly";
  const rows: [string, string | null][] = [
    ["hetzner", null],
    ["aws", `provider "aws" is not supported: ${direct}`],
    ["blacksmith-testbox", `provider "blacksmith-testbox" is not supported: ${direct}`],
    ["hetzer", `provider "hetzer" is not a crabbox provider (did you mean "hetzner"?); ${direct}`],
    ["nimbus", `provider "nimbus" is not a crabbox provider; ${direct}`],
  ];
  for (const [value, problem] of rows) assert.equal(providerProblem(value), problem, value);
  assert.equal(targetProblem("linux"), null);
  assert.equal(
    targetProblem("macos"),
    'target "macos" is not supported: this crabbox leases Linux servers on Hetzner Cloud',
  );
});

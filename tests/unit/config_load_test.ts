import assert from "node:assert/strict";
import { loadConfig, type LoadedConfig, userConfigPath } from "../../config/load.ts";
import { KEYS } from "../../config/schema.ts";
import { CrabboxError } from "../../core/errors.ts";
import { memoryEnv, memoryFs, REPO_FILE, system, USER_FILE } from "./config_testdata/fakes.ts";

interface Setup {
  files?: Record<string, string>;
  env?: Record<string, string>;
  gitRoot?: string | null;
  profile?: string;
  flags?: Record<string, unknown>;
}

function load(setup: Setup): Promise<LoadedConfig> {
  return loadConfig({
    fs: memoryFs(setup.files ?? {}),
    env: memoryEnv(setup.env ?? {}),
    system,
    gitRoot: setup.gitRoot === undefined ? "/repo" : setup.gitRoot,
    profile: setup.profile,
    flagOverrides: setup.flags,
  });
}

async function loadError(setup: Setup): Promise<CrabboxError> {
  try {
    await load(setup);
  } catch (error) {
    assert.ok(error instanceof CrabboxError, String(error));
    return error;
  }
  assert.fail("loaded without an error");
}

Deno.test("no files: every key at its default, typed and flat", async () => {
  const loaded = await load({});
  assert.ok(Object.values(loaded.sources).every((s) => s === "default"));
  assert.equal(loaded.values.owner, "alice@laptop");
  assert.equal(loaded.config.owner, "alice@laptop");
  assert.equal(loaded.config.ttl, 5400);
  assert.equal(loaded.config.idleTimeout, 1800);
  assert.deepEqual(loaded.config.hetzner, {
    locations: ["fsn1", "nbg1", "hel1"],
    location: "",
    image: "ubuntu-24.04",
    endpoint: "https://api.hetzner.cloud/v1",
  });
  assert.equal(loaded.config.ssh.port, 2222);
  assert.equal(loaded.config.sync.failBytes, 20 * 1024 ** 3);
  assert.equal(loaded.config.results.maxArtifactBytes, 256 * 1024 ** 2);
  assert.deepEqual(loaded.envAllow, ["CI", "NODE_OPTIONS"]);
  assert.deepEqual(loaded.policy, { jobsOnly: false });
  assert.deepEqual(loaded.files, [
    { path: USER_FILE, kind: "user", exists: false },
    { path: REPO_FILE, kind: "repo", exists: false },
  ]);
  assert.equal(loaded.repoFile, null);
  for (const key of Object.keys(KEYS)) {
    const nested = key.split(".").reduce((o: unknown, k) => (o as Record<string, unknown>)[k], loaded.config);
    assert.deepEqual(nested, loaded.values[key], key);
  }
});

Deno.test("precedence: defaults < user < repo < profile < env < flags, each with its source", async () => {
  const loaded = await load({
    files: {
      [USER_FILE]:
        "class: small\nttl: 3h\nidleTimeout: 40m\nserverType: cx22\nhetzner:\n  image: debian-12\n",
      [REPO_FILE]:
        "profile: ci\nttl: 2h\nidleTimeout: 20m\nserverType: cx32\nprofiles:\n  ci:\n    ttl: 1h\n",
    },
    env: { CRABBOX_IDLE_TIMEOUT: "25m", CRABBOX_SERVER_TYPE: "cx42" },
    flags: { serverType: "ccx13", ttl: undefined },
  });
  const show = (key: string) => [loaded.values[key], loaded.sources[key]];
  assert.deepEqual(show("workRoot"), ["/work/crabbox", "default"]);
  assert.deepEqual(show("class"), ["small", `user ${USER_FILE}:1`]);
  assert.deepEqual(show("hetzner.image"), ["debian-12", `user ${USER_FILE}:6`]);
  assert.deepEqual(show("profile"), ["ci", `repo ${REPO_FILE}:1`]);
  assert.deepEqual(show("ttl"), [3600, "profile ci"]);
  assert.deepEqual(show("idleTimeout"), [1500, "env CRABBOX_IDLE_TIMEOUT"]);
  assert.deepEqual(show("serverType"), ["ccx13", "flag --type"]);
  assert.deepEqual(loaded.files.map((f) => f.exists), [true, true]);
  assert.equal(loaded.repoFile, REPO_FILE);
});

Deno.test("the profile is chosen by --profile, then CRABBOX_PROFILE, then the files", async () => {
  const files = {
    [REPO_FILE]: "profile: a\nprofiles:\n  a: {class: tiny}\n  b: {class: small}\n  c: {class: fast}\n",
  };
  const rows: [Setup, string, string, string][] = [
    [{ files }, "a", "tiny", `repo ${REPO_FILE}:1`],
    [{ files, env: { CRABBOX_PROFILE: "b" } }, "b", "small", "env CRABBOX_PROFILE"],
    [{ files, env: { CRABBOX_PROFILE: "b" }, profile: "c" }, "c", "fast", "flag --profile"],
  ];
  for (const [setup, name, className, source] of rows) {
    const loaded = await load(setup);
    assert.deepEqual([loaded.values.profile, loaded.values.class, loaded.sources.profile], [
      name,
      className,
      source,
    ]);
    assert.equal(loaded.sources.class, `profile ${name}`);
  }
});

Deno.test("profiles defined in both files merge key by key; the repo wins", async () => {
  const loaded = await load({
    files: {
      [USER_FILE]: "profiles:\n  ci:\n    class: small\n    hetzner:\n      image: debian-12\n",
      [REPO_FILE]: "profiles:\n  ci:\n    class: large\n    ttl: 2h\n",
    },
    profile: "ci",
  });
  assert.deepEqual(loaded.profiles.ci, { class: "large", "hetzner.image": "debian-12", ttl: 7200 });
  assert.deepEqual([loaded.values.class, loaded.values["hetzner.image"], loaded.values.ttl], [
    "large",
    "debian-12",
    7200,
  ]);
});

Deno.test("an unknown profile is an error with a suggestion; `default` needs no definition", async () => {
  const files = { [REPO_FILE]: "profiles:\n  linux-ci: {class: small}\n" };
  const error = await loadError({ files, profile: "linux-cl" });
  assert.equal(
    error.message,
    `profile "linux-cl" (flag --profile) is not defined (did you mean "linux-ci"?)`,
  );
  assert.equal(error.hint, "defined profiles: linux-ci");
  assert.equal((await load({ files, profile: "default" })).values.class, "beast");
});

Deno.test("lists replace, but sync.exclude appends across user, repo and profile; env.set merges", async () => {
  const loaded = await load({
    files: {
      [USER_FILE]:
        "hetzner:\n  locations: [hel1]\nsync:\n  exclude: [u/]\n  include: [a]\nenv:\n  set: {A: u, B: u}\n",
      [REPO_FILE]:
        "hetzner:\n  locations: [fsn1, nbg1]\nsync:\n  exclude: [r/]\n  include: [b]\nenv:\n  set: {B: r}\nprofiles:\n  p:\n    sync: {exclude: [p/]}\n    env: {set: {C: p}}\n",
    },
    profile: "p",
  });
  assert.deepEqual(loaded.values["hetzner.locations"], ["fsn1", "nbg1"]);
  assert.deepEqual(loaded.values["sync.include"], ["b"]);
  assert.deepEqual(loaded.values["sync.exclude"], ["u/", "r/", "p/"]);
  assert.equal(loaded.sources["sync.exclude"], "profile p");
  assert.deepEqual(loaded.values["env.set"], { A: "u", B: "r", C: "p" });
});

Deno.test("budget keys: across the files the tighter wins (a repo tightens, never loosens); env and flags decide", async () => {
  const budget = (maxActive: number, maxHourly: number, scope: string) =>
    `budget:\n  maxActive: ${maxActive}\n  maxHourly: ${maxHourly}\n  scope: ${scope}\n`;
  const rows: [string, Setup, [number, number, string], string][] = [
    ["user only", { files: { [USER_FILE]: budget(3, 1, "owner") } }, [3, 1, "owner"], `user ${USER_FILE}:2`],
    [
      "repo only",
      { files: { [REPO_FILE]: budget(2, 0.5, "project") } },
      [2, 0.5, "project"],
      `repo ${REPO_FILE}:2`,
    ],
    [
      "a repo cannot loosen the user's budget",
      { files: { [USER_FILE]: budget(3, 1, "project"), [REPO_FILE]: budget(0, 5, "owner") } },
      [3, 1, "project"],
      `user ${USER_FILE}:2`,
    ],
    [
      "a repo can tighten it",
      { files: { [USER_FILE]: budget(3, 1, "owner"), [REPO_FILE]: budget(2, 0.5, "project") } },
      [2, 0.5, "project"],
      `repo ${REPO_FILE}:2`,
    ],
    [
      "the environment decides",
      {
        files: { [USER_FILE]: budget(3, 1, "project") },
        env: {
          CRABBOX_BUDGET_MAX_ACTIVE: "0",
          CRABBOX_BUDGET_MAX_HOURLY: "2.5",
          CRABBOX_BUDGET_SCOPE: "owner",
        },
      },
      [0, 2.5, "owner"],
      "env CRABBOX_BUDGET_MAX_ACTIVE",
    ],
  ];
  for (const [label, setup, expected, source] of rows) {
    const { config, sources } = await load(setup);
    assert.deepEqual(
      [config.budget.maxActive, config.budget.maxHourly, config.budget.scope],
      expected,
      label,
    );
    assert.equal(sources["budget.maxActive"], source, label);
  }
});

Deno.test("env.allow through the layers, and which exact names a human chose", async () => {
  const user = "env:\n  allow: [CI, NPM_TOKEN]\nprofiles:\n  dev:\n    env: {allow: [GH_PAT, DEV_*]}\n";
  const rows: [Setup, string[], string[], string][] = [
    [{ files: { [USER_FILE]: user } }, ["CI", "NPM_TOKEN"], ["CI", "NPM_TOKEN"], `user ${USER_FILE}:2`],
    [
      { files: { [USER_FILE]: user }, profile: "dev" },
      ["CI", "NPM_TOKEN", "GH_PAT", "DEV_*"],
      ["CI", "NPM_TOKEN", "GH_PAT"],
      "profile dev",
    ],
    [
      { files: { [USER_FILE]: user, [REPO_FILE]: "env:\n  allow: [NODE_ENV]\n" } },
      ["NODE_ENV"],
      [],
      `repo ${REPO_FILE}:2`,
    ],
    [
      { files: { [USER_FILE]: user }, profile: "dev", env: { CRABBOX_ENV_ALLOW: "A, B_*" } },
      ["A", "B_*"],
      [],
      "env CRABBOX_ENV_ALLOW",
    ],
  ];
  for (const [setup, allow, human, source] of rows) {
    const loaded = await load(setup);
    assert.deepEqual(loaded.envAllow, allow);
    assert.deepEqual(loaded.values["env.allow"], allow);
    assert.deepEqual(loaded.envAllowFromUser, human);
    assert.equal(loaded.sources["env.allow"], source);
  }
});

Deno.test("a later layer's hetzner.locations replaces an earlier hetzner.location", async () => {
  const files = {
    [USER_FILE]: "hetzner:\n  location: hel1\n",
    [REPO_FILE]: "hetzner:\n  locations: [fsn1]\n",
  };
  const loaded = await load({ files });
  assert.deepEqual([loaded.values["hetzner.location"], loaded.values["hetzner.locations"]], ["", ["fsn1"]]);
  const flagged = await load({ files, flags: { "hetzner.location": "nbg1" } });
  assert.deepEqual([flagged.values["hetzner.location"], flagged.sources["hetzner.location"]], [
    "nbg1",
    "flag --location",
  ]);
});

Deno.test("config file locations: XDG_CONFIG_HOME, CRABBOX_CONFIG, crabbox.yaml, no repo", async () => {
  const deps = (env: Record<string, string>) => ({ env: memoryEnv(env), system });
  assert.equal(userConfigPath(deps({})), USER_FILE);
  assert.equal(userConfigPath(deps({ XDG_CONFIG_HOME: "/x" })), "/x/crabbox/config.yaml");
  assert.equal(userConfigPath(deps({ XDG_CONFIG_HOME: "relative" })), USER_FILE);
  assert.equal(
    userConfigPath(deps({ CRABBOX_CONFIG: "/etc/cb.yaml", XDG_CONFIG_HOME: "/x" })),
    "/etc/cb.yaml",
  );

  const custom = await load({
    files: { "/etc/cb.yaml": "class: tiny\n" },
    env: { CRABBOX_CONFIG: "/etc/cb.yaml" },
  });
  assert.equal(custom.sources.class, "user /etc/cb.yaml:1");
  const plain = await load({ files: { "/repo/crabbox.yaml": "class: fast\n" } });
  assert.equal(plain.sources.class, "repo /repo/crabbox.yaml:1");
  assert.equal(plain.repoFile, "/repo/crabbox.yaml");
  const outside = await load({ files: { [REPO_FILE]: "class: fast\n" }, gitRoot: null });
  assert.equal(outside.values.class, "beast");
  assert.deepEqual(outside.files, [{ path: USER_FILE, kind: "user", exists: false }]);

  const both = await loadError({ files: { [REPO_FILE]: "", "/repo/crabbox.yaml": "" } });
  assert.equal(both.message, "both /repo/.crabbox.yaml and /repo/crabbox.yaml exist");
  assert.equal(both.exitCode, 2);
});

Deno.test("jobs: typed with defaults, a source, only from the repo; an undefined profile is a label", async () => {
  const repo =
    "profiles:\n  ci: {class: small}\njobs:\n  test:\n    command: pnpm test\n    profile: ci\n  sync:\n    syncOnly: true\n";
  const loaded = await load({ files: { [REPO_FILE]: repo } });
  assert.deepEqual(Object.keys(loaded.jobs), ["test", "sync"]);
  const test = loaded.jobs.test;
  assert.equal(test.source, ".crabbox.yaml:4");
  assert.deepEqual(
    { ...test, values: undefined, at: undefined },
    {
      name: "test",
      source: ".crabbox.yaml:4",
      values: undefined,
      at: undefined,
      unavailable: [],
      description: "",
      label: "",
      command: "pnpm test",
      shell: null,
      syncOnly: false,
      noSync: false,
      checksum: false,
      forceSyncLarge: false,
      workdir: null,
      timeout: null,
      profile: "ci",
      keep: false,
      env: { allow: [], set: {} },
      junit: [],
      artifacts: [],
      requiredArtifacts: [],
      downloads: [],
      stop: "auto",
    },
  );
  assert.deepEqual(test.values, { command: "pnpm test", profile: "ci" });
  assert.equal(loaded.jobs.sync.syncOnly, true);

  const label = await load({
    files: { [REPO_FILE]: "profiles:\n  ci: {}\njobs:\n  t:\n    command: x\n    profile: cl\n" },
  });
  assert.equal(label.jobs.t.profile, "cl");
  assert.deepEqual(label.warnings, [
    `${REPO_FILE}:6:5: jobs.t.profile "cl" has no profiles.cl entry; it is used as a plain label (did you mean "ci"?)`,
  ]);
});

Deno.test("policy.jobsOnly is effective only from the repo file", async () => {
  assert.deepEqual((await load({ files: { [REPO_FILE]: "policy: {jobsOnly: true}\n" } })).policy, {
    jobsOnly: true,
  });
  const error = await loadError({ files: { [USER_FILE]: "policy:\n  jobsOnly: false\n" } });
  assert.match(error.message, /config\.yaml:2:3: policy\.jobsOnly is effective only in the repo config/);
});

Deno.test("CRABBOX_* values: typed, invalid ones name the variable; unknown ones warn", async () => {
  const loaded = await load({
    env: {
      CRABBOX_TTL: "4h",
      CRABBOX_SSH_FALLBACK_PORTS: "none",
      CRABBOX_SYNC_DELETE: "off",
      CRABBOX_HETZNER_LOCATIONS: "hel1,fsn1",
      CRABBOX_NO_SWEEP: "yes",
      CRABBOX_POOL: "ci",
      CRABBOX_TTLL: "1h",
      CRABBOX_WHATEVER: "x",
      CRABBOX_DEBUG: "1",
      HCLOUD_ENDPOINT: "http://127.0.0.1:4010/v1",
      CRABBOX_CLASS: "",
    },
  });
  assert.equal(loaded.values.ttl, 4 * 3600);
  assert.deepEqual(loaded.values["ssh.fallbackPorts"], []);
  assert.equal(loaded.values["sync.delete"], false);
  assert.deepEqual(loaded.values["hetzner.locations"], ["hel1", "fsn1"]);
  assert.deepEqual([loaded.values["sweep.auto"], loaded.sources["sweep.auto"]], [
    false,
    "env CRABBOX_NO_SWEEP",
  ]);
  assert.equal(loaded.values["pool.name"], "ci");
  assert.equal(loaded.values["hetzner.endpoint"], "http://127.0.0.1:4010/v1");
  assert.equal(loaded.sources.class, "default", "an empty variable counts as unset");
  assert.deepEqual(loaded.warnings, [
    `unknown environment variable CRABBOX_TTLL (did you mean "CRABBOX_TTL"?); it is ignored`,
    "unknown environment variable CRABBOX_WHATEVER; it is ignored",
  ]);

  const rows: [Record<string, string>, string, string][] = [
    [{ CRABBOX_TTL: "90" }, `CRABBOX_TTL: ttl must be a duration like 90m or 1h30m, got "90"`, "config"],
    [{ CRABBOX_TTL: "300h" }, "CRABBOX_TTL: ttl must be at most 168h", "config"],
    [{ CRABBOX_SSH_PORT: "http" }, `CRABBOX_SSH_PORT: ssh.port must be a whole number, got "http"`, "config"],
    [
      { CRABBOX_SYNC_CHECKSUM: "2" },
      `CRABBOX_SYNC_CHECKSUM: sync.checksum must be true or false, got "2"`,
      "config",
    ],
    [
      { CRABBOX_ENV_ALLOW: "CI,*" },
      `CRABBOX_ENV_ALLOW: env.allow "*" would forward everything; list the names (or a PREFIX_*)`,
      "config",
    ],
    [{ CRABBOX_NO_SWEEP: "sure" }, "CRABBOX_NO_SWEEP must be 1/true/yes/on or 0/false/no/off", "config"],
    [{ CRABBOX_PROVIDER: "aws" }, `unknown provider "aws" in CRABBOX_PROVIDER`, "usage"],
  ];
  for (const [env, message, kind] of rows) {
    const error = await loadError({ env });
    assert.deepEqual([error.message, error.kind, error.exitCode], [message, kind, 2]);
    assert.ok(error.hint);
  }
  assert.equal((await load({ env: { CRABBOX_PROVIDER: "hetzner" } })).warnings.length, 0);
});

Deno.test("flags: parsed values or text; bad values are usage errors naming the flag", async () => {
  const loaded = await load({
    flags: { ttl: 7200, idleTimeout: "1h", "lease.bootstrapTimeout": "5m", class: "tiny" },
  });
  assert.deepEqual(
    [
      loaded.values.ttl,
      loaded.values.idleTimeout,
      loaded.values["lease.bootstrapTimeout"],
      loaded.values.class,
    ],
    [7200, 3600, 300, "tiny"],
  );
  assert.deepEqual(
    [loaded.sources.ttl, loaded.sources.idleTimeout, loaded.sources["lease.bootstrapTimeout"]],
    ["flag --ttl", "flag --idle-timeout", "flag --bootstrap-timeout"],
  );
  const error = await loadError({ flags: { ttl: "200h" } });
  assert.deepEqual([error.message, error.kind], ["--ttl must be at most 168h", "usage"]);
});

Deno.test("idle ≤ ttl: the ttl caps a longer idle timeout (a warning naming both); two flags are an error", async () => {
  const short = await load({ files: { [REPO_FILE]: "ttl: 20m\n" } });
  assert.deepEqual([short.values.idleTimeout, short.sources.idleTimeout], [1200, "default (capped at ttl)"]);
  const capped = await load({ files: { [REPO_FILE]: "ttl: 20m\nidleTimeout: 25m\n" } });
  assert.deepEqual(
    [capped.values.idleTimeout, capped.sources.idleTimeout],
    [1200, `repo ${REPO_FILE}:2 (capped at ttl)`],
  );
  assert.deepEqual(capped.warnings, [
    `idleTimeout 25m (repo ${REPO_FILE}:2) is longer than ttl 20m (repo ${REPO_FILE}:1); the ttl caps it at 20m`,
  ]);
  const flags = await loadError({ flags: { ttl: 600, idleTimeout: 1200 } });
  assert.equal(flags.message, "idleTimeout 20m (flag --idle-timeout) is longer than ttl 10m (flag --ttl)");
});

Deno.test("file errors carry the file's full path and position; user-file secret warnings are returned", async () => {
  const error = await loadError({
    files: { [REPO_FILE]: "jobs:\n  test:\n    command: x\n    idleTimout: 5m\n" },
  });
  assert.equal(
    error.message,
    `${REPO_FILE}:4:5: unknown key "idleTimout" in jobs.test (did you mean "idleTimeout"?)`,
  );
  const warned = await load({ files: { [USER_FILE]: `env:\n  set:\n    K: "Bearer abc"\n` } });
  assert.equal(warned.warnings.length, 1);
  assert.ok(
    warned.warnings[0].startsWith(`${USER_FILE}:3:8: env.set.K has a value that looks like a bearer token`),
  );
  assert.ok(!warned.warnings[0].includes("abc"));
});

Deno.test("the two-argument form used by existing callers still works", async () => {
  const loaded = await loadConfig(
    { fs: memoryFs({ [REPO_FILE]: "class: small\n" }), env: memoryEnv({}), system },
    { gitRoot: "/repo", profile: undefined, flags: { ttl: 3600 } },
  );
  assert.deepEqual([loaded.values.class, loaded.values.ttl, loaded.sources.ttl], [
    "small",
    3600,
    "flag --ttl",
  ]);
});

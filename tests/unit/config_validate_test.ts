import assert from "node:assert/strict";
import { type FileKind, validateFile } from "../../config/validate.ts";
import { CrabboxError } from "../../core/errors.ts";

function failure(text: string, kind: FileKind = "repo"): CrabboxError {
  const path = kind === "repo" ? ".crabbox.yaml" : "config.yaml";
  try {
    validateFile(text, path, kind);
  } catch (error) {
    assert.ok(error instanceof CrabboxError, String(error));
    return error;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

Deno.test("golden errors: file:line:col, the problem and a did-you-mean", () => {
  const rows: [string, string][] = [
    [
      "class: small\nidleTimout: 5m\n",
      `.crabbox.yaml:2:1: unknown key "idleTimout" (did you mean "idleTimeout"?)`,
    ],
    [
      "jobs:\n  test:\n    command: pnpm test\n    idleTimout: 5m\n",
      `.crabbox.yaml:4:5: unknown key "idleTimout" in jobs.test (did you mean "idleTimeout"?)`,
    ],
    [
      "jobs:\n  test:\n    comand: x\n",
      `.crabbox.yaml:3:5: unknown key "comand" in jobs.test (did you mean "command"?)`,
    ],
    [
      "hetzner:\n  locatons: [fsn1]\n",
      `.crabbox.yaml:2:3: unknown key "locatons" in hetzner (did you mean "locations"?)`,
    ],
    [
      "jobs:\n  t:\n    command: x\n    env:\n      alow: [A]\n",
      `.crabbox.yaml:5:7: unknown key "alow" in jobs.t.env (did you mean "allow"?)`,
    ],
    ["profile: ci\njbos: {}\n", `.crabbox.yaml:2:1: unknown key "jbos" (did you mean "jobs"?)`],
    ["zzzzzz: 1\n", `.crabbox.yaml:1:1: unknown key "zzzzzz"`],
    ["ttl: 90\n", ".crabbox.yaml:1:6: ttl must be a duration like 90m or 1h30m, got 90"],
    ["ttl: 200h\n", ".crabbox.yaml:1:6: ttl must be at most 168h"],
    ["idleTimeout: 30s\n", ".crabbox.yaml:1:14: idleTimeout must be at least 1m"],
    ["lease:\n  createAttempts: 4\n", ".crabbox.yaml:2:19: lease.createAttempts must be at most 3"],
    [
      "sync:\n  failBytes: 20GB\n",
      `.crabbox.yaml:2:14: sync.failBytes must be a size like 512MiB or 5GiB, got "20GB"`,
    ],
    ["sync:\n  delete: maybe\n", `.crabbox.yaml:2:11: sync.delete must be true or false, got "maybe"`],
    ["hetzner: fsn1\n", ".crabbox.yaml:1:10: hetzner must be a map of keys"],
    ["class: a\nclass: b\n", ".crabbox.yaml:2:1: Map keys must be unique"],
    [
      "ttl: [1h\n",
      ".crabbox.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
    [
      "- ttl: 1h\n",
      `.crabbox.yaml:1:1: the config must be a map of keys (like "ttl: 2h"), not a list or a single value`,
    ],
    [
      "hetzner:\n  endpoint: https://evil.example\n",
      ".crabbox.yaml:2:3: hetzner.endpoint may only be set in the user config",
    ],
    ["owner: mallory\n", ".crabbox.yaml:1:1: owner may only be set in the user config"],
    [
      "ssh:\n  configFile: ~/.ssh/config\n",
      ".crabbox.yaml:2:3: ssh.configFile may only be set in the user config",
    ],
    [
      "hetzner:\n  locations: [fsn1]\n  location: nbg1\n",
      ".crabbox.yaml:3:3: hetzner.location and hetzner.locations are both set",
    ],
    [
      "profiles:\n  ci:\n    owner: x\n",
      `.crabbox.yaml:3:5: unknown key "owner" in profiles.ci`,
    ],
    [
      "profiles:\n  ci:\n    ttl: 1d\n",
      `.crabbox.yaml:3:10: profiles.ci.ttl must be a duration like 90m or 1h30m, got "1d"`,
    ],
    [
      "env:\n  allow: ['*']\n",
      `.crabbox.yaml:2:11: env.allow "*" would forward everything; list the names (or a PREFIX_*)`,
    ],
    [
      "env:\n  allow: [CI, 'A*B']\n",
      `.crabbox.yaml:2:15: env.allow "A*B" has a "*" inside; only a trailing "*" (prefix match) is allowed`,
    ],
    ["env:\n  allow: [1X]\n", `.crabbox.yaml:2:11: env.allow "1X" is not a valid environment variable name`],
    [
      "env:\n  set:\n    A-B: x\n",
      `.crabbox.yaml:3:5: env.set name "A-B" is not a valid environment variable name`,
    ],
  ];
  for (const [text, message] of rows) {
    const error = failure(text);
    assert.equal(error.message, message, text);
    assert.equal(error.kind, "config");
    assert.equal(error.exitCode, 2);
    assert.ok(error.hint && error.hint.length > 10, `a hint for ${text}`);
  }
});

Deno.test("golden errors: jobs", () => {
  const rows: [string, string][] = [
    ["jobs:\n  Test:\n    command: x\n", `.crabbox.yaml:2:3: job name "Test" is invalid`],
    [
      `jobs:\n  ${"a".repeat(64)}:\n    command: x\n`,
      `.crabbox.yaml:2:3: job name "${"a".repeat(64)}" is invalid`,
    ],
    ["jobs:\n  -x:\n    command: x\n", `.crabbox.yaml:2:3: job name "-x" is invalid`],
    [
      "jobs:\n  t:\n    description: y\n",
      ".crabbox.yaml:2:3: jobs.t needs exactly one of command or syncOnly: true",
    ],
    ["jobs:\n  t:\n", ".crabbox.yaml:2:3: jobs.t needs exactly one of command or syncOnly: true"],
    [
      "jobs:\n  t:\n    command: x\n    syncOnly: true\n",
      ".crabbox.yaml:4:5: jobs.t sets both command and syncOnly: true",
    ],
    [
      "jobs:\n  t:\n    syncOnly: true\n    noSync: true\n",
      ".crabbox.yaml:4:5: jobs.t sets both syncOnly and noSync",
    ],
    [
      "jobs:\n  t:\n    command: x\n    stop: sometimes\n",
      `.crabbox.yaml:4:11: jobs.t.stop must be one of auto, always, success, failure, never, got "sometimes"`,
    ],
    [
      "jobs:\n  t:\n    command: x\n    workdir: ../up\n",
      ".crabbox.yaml:4:14: jobs.t.workdir must be a relative path inside the repo (no leading / and no ..)",
    ],
    [
      "jobs:\n  t:\n    command: x\n    workdir: /abs\n",
      ".crabbox.yaml:4:14: jobs.t.workdir must be a relative path inside the repo (no leading / and no ..)",
    ],
    [
      "jobs:\n  t:\n    command: x\n    artifacts: [out/a, ../b]\n",
      ".crabbox.yaml:4:16: jobs.t.artifacts entries must be a relative path inside the repo (no leading / and no ..)",
    ],
    [
      "jobs:\n  t:\n    command: 3\n",
      ".crabbox.yaml:3:14: jobs.t.command must be a command string or a non-empty list of words, got 3",
    ],
    ["jobs:\n  t:\n    command: x\n    ttl: 200h\n", ".crabbox.yaml:4:10: jobs.t.ttl must be at most 168h"],
    [
      "jobs:\n  t:\n    command: x\n    env:\n      allow: [NPM_TOKEN]\n",
      `.crabbox.yaml:5:15: jobs.t.env.allow names a secret-looking variable "NPM_TOKEN"; the repo config may not forward secrets`,
    ],
    ["jobs:\n  t: x\n", ".crabbox.yaml:2:6: jobs.t must be a map of keys"],
  ];
  for (const [text, message] of rows) assert.equal(failure(text).message, message, text);
});

Deno.test("repo-only and user-only sections", () => {
  assert.equal(
    failure("jobs:\n  t:\n    command: x\n", "user").message,
    "config.yaml:1:1: jobs may only be defined in the repo config (.crabbox.yaml)",
  );
  assert.equal(
    failure("policy:\n  jobsOnly: true\n", "user").message,
    "config.yaml:2:3: policy.jobsOnly is effective only in the repo config",
  );
  const user = validateFile(
    "owner: alice\nhetzner:\n  endpoint: http://127.0.0.1:4010/v1\n",
    "config.yaml",
    "user",
  );
  assert.deepEqual(user.settings, {
    owner: { value: "alice", line: 1 },
    "hetzner.endpoint": { value: "http://127.0.0.1:4010/v1", line: 3 },
  });
});

Deno.test("a valid repo file: typed values with lines, profiles and jobs", () => {
  const text = [
    "# crabbox", //
    "class: standard",
    "ttl: 2h",
    "hetzner:",
    "  locations: [fsn1, nbg1]",
    "sync:",
    "  exclude: [tmp/]",
    "  warnBytes: 1GiB",
    "env:",
    "  allow: [CI, PROJECT_*]",
    "  set: {LANG: C.UTF-8}",
    "policy: {jobsOnly: yes}",
    "profiles:",
    "  ci:",
    "    class: small",
    "    hetzner: {image: debian-12}",
    "  empty:",
    "jobs:",
    "  test:",
    "    command: [pnpm, test]",
    "    timeout: 20m",
    "    env: {allow: [NODE_ENV], set: {A: b}}",
    "    stop: never",
    "  sync.only:",
    "    syncOnly: true",
    "",
  ].join("\n");
  const layer = validateFile(text, ".crabbox.yaml", "repo");
  assert.deepEqual(layer.settings, {
    class: { value: "standard", line: 2 },
    ttl: { value: 7200, line: 3 },
    "hetzner.locations": { value: ["fsn1", "nbg1"], line: 5 },
    "sync.exclude": { value: ["tmp/"], line: 7 },
    "sync.warnBytes": { value: 1024 ** 3, line: 8 },
    "env.allow": { value: ["CI", "PROJECT_*"], line: 10 },
    "env.set": { value: { LANG: "C.UTF-8" }, line: 11 },
    "policy.jobsOnly": { value: true, line: 12 },
  });
  assert.deepEqual(layer.profiles, {
    ci: { class: { value: "small", line: 15 }, "hetzner.image": { value: "debian-12", line: 16 } },
    empty: {},
  });
  assert.deepEqual(layer.jobs.test.values, {
    command: ["pnpm", "test"],
    timeout: 1200,
    "env.allow": ["NODE_ENV"],
    "env.set": { A: "b" },
    stop: "never",
  });
  assert.equal(layer.jobs.test.line, 19);
  assert.equal(layer.jobs["sync.only"].values.syncOnly, true);
  assert.deepEqual(layer.warnings, []);
});

Deno.test("empty files and comment-only files are an empty map; empty sections are allowed", () => {
  for (const text of ["", "\n", "# nothing yet\n", "jobs:\nprofiles:\nhetzner:\n"]) {
    const layer = validateFile(text, ".crabbox.yaml", "repo");
    assert.deepEqual([layer.settings, layer.profiles, layer.jobs], [{}, {}, {}], JSON.stringify(text));
  }
});

Deno.test("YAML anchors and aliases resolve to their values", () => {
  const layer = validateFile("ttl: &long 3h\nidleTimeout: *long\n", ".crabbox.yaml", "repo");
  assert.equal(layer.settings.idleTimeout.value, 3 * 3600);
});

Deno.test("dotted keys are not shorthand: they are unknown, with a hint to nest them", () => {
  const error = failure("sync.exclude: [tmp/]\n");
  assert.equal(error.message, `.crabbox.yaml:1:1: unknown key "sync.exclude"`);
  assert.equal(error.hint, `write it nested: "sync:" and, indented below it, "exclude:"`);
  assert.equal(
    failure("jobs:\n  t:\n    command: x\n    env.allow: [A]\n").message,
    `.crabbox.yaml:4:5: unknown key "env.allow" in jobs.t`,
  );
});

Deno.test("hetzner.endpoint (user config): https, or http to loopback, never credentials", () => {
  for (const ok of ["https://api.example.com/v1", "http://127.0.0.1:4010/v1", "http://localhost:8080"]) {
    const layer = validateFile(`hetzner:\n  endpoint: ${ok}\n`, "config.yaml", "user");
    assert.equal(layer.settings["hetzner.endpoint"].value, ok);
  }
  const problem =
    "must be an https URL (http only to a loopback address) without credentials, query or fragment";
  for (const bad of ["http://api.example.com/v1", "ftp://x", "not a url", "https://u:pw@api.example.com"]) {
    const error = failure(`hetzner:\n  endpoint: ${bad}\n`, "user");
    assert.equal(error.message, `config.yaml:2:13: hetzner.endpoint ${problem}`, bad);
  }
});

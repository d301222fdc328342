import assert from "node:assert/strict";
import { coerce, editDistance, type Origin, parseBool, suggest } from "../../config/values.ts";
import { JOB_KEYS, KEYS, type KeySpec } from "../../config/schema.ts";

Deno.test("coerce: each value type from YAML, env text and flags", () => {
  const rows: [KeySpec, unknown, Origin, unknown][] = [
    [KEYS.ttl, "90m", "yaml", 5400],
    [KEYS.ttl, "1h30m", "env", 5400],
    [KEYS.ttl, 7200, "flag", 7200],
    [KEYS["ssh.controlPersist"], 0, "yaml", 0],
    [KEYS["ssh.controlPersist"], "0", "env", 0],
    [KEYS["sync.warnBytes"], "5GiB", "yaml", 5 * 1024 ** 3],
    [KEYS["sync.warnBytes"], "512 MiB", "yaml", 512 * 1024 ** 2],
    [KEYS["sync.warnBytes"], 1000, "yaml", 1000],
    [KEYS["sync.warnBytes"], "10B", "env", 10],
    [KEYS["ssh.port"], 22, "yaml", 22],
    [KEYS["ssh.port"], "2200", "env", 2200],
    [KEYS["sync.delete"], false, "yaml", false],
    [KEYS["sync.delete"], "yes", "yaml", true],
    [KEYS["sync.delete"], "OFF", "env", false],
    [KEYS["sync.delete"], 1, "yaml", true],
    [KEYS["hetzner.locations"], ["fsn1"], "yaml", ["fsn1"]],
    [KEYS["hetzner.locations"], "fsn1, nbg1", "env", ["fsn1", "nbg1"]],
    [KEYS["ssh.fallbackPorts"], "none", "env", []],
    [KEYS["ssh.fallbackPorts"], "22,2022", "env", [22, 2022]],
    [KEYS["ssh.fallbackPorts"], [], "yaml", []],
    [KEYS["env.set"], { A: "1" }, "yaml", { A: "1" }],
    [KEYS["budget.maxHourly"], 0.5, "yaml", 0.5],
    [KEYS["budget.maxHourly"], 2, "yaml", 2],
    [KEYS["budget.maxHourly"], " 1.25 ", "env", 1.25],
    [KEYS["budget.maxActive"], "3", "env", 3],
    [KEYS["budget.scope"], "project", "yaml", "project"],
    [JOB_KEYS.command, "pnpm test", "yaml", "pnpm test"],
    [JOB_KEYS.command, ["sh", "-c", "x"], "yaml", ["sh", "-c", "x"]],
    [JOB_KEYS.stop, "never", "yaml", "never"],
    [JOB_KEYS.workdir, "packages/api", "yaml", "packages/api"],
  ];
  for (const [spec, raw, origin, expected] of rows) {
    assert.deepEqual(coerce(spec, raw, origin), expected, `${JSON.stringify(raw)} (${origin})`);
  }
});

Deno.test("coerce: wrong types, bad durations and sizes, ranges, enums and checks name the problem", () => {
  const rows: [KeySpec, unknown, Origin, string][] = [
    [KEYS.ttl, 90, "yaml", "must be a duration like 90m or 1h30m, got 90"],
    [KEYS.ttl, "90", "yaml", `must be a duration like 90m or 1h30m, got "90"`],
    [KEYS.ttl, "1d", "env", `must be a duration like 90m or 1h30m, got "1d"`],
    [KEYS.ttl, "59s", "yaml", "must be at least 1m"],
    [KEYS.ttl, "169h", "yaml", "must be at most 168h"],
    [KEYS.idleTimeout, "0", "yaml", "must be at least 1m"],
    [KEYS["lease.createAttempts"], 4, "yaml", "must be at most 3"],
    [KEYS["lease.createAttempts"], 0, "yaml", "must be at least 1"],
    [KEYS["lease.createAttempts"], "2", "yaml", `must be a whole number, got "2"`],
    [KEYS["lease.createAttempts"], 1.5, "yaml", "must be a whole number, got 1.5"],
    [KEYS["ssh.port"], "70000", "env", "must be at most 65535"],
    [KEYS["ssh.fallbackPorts"], [22, 0], "yaml", "must be at least 1"],
    [KEYS["ssh.fallbackPorts"], "22,x", "env", 'must be a list of whole numbers, got "22,x"'],
    [KEYS["sync.warnBytes"], "5GB", "yaml", `must be a size like 512MiB or 5GiB, got "5GB"`],
    [KEYS["sync.warnBytes"], "0", "yaml", "must be at least 1"],
    [KEYS["sync.delete"], "maybe", "env", `must be true or false, got "maybe"`],
    [KEYS["budget.maxHourly"], "0.5", "yaml", `must be a number, got "0.5"`],
    [KEYS["budget.maxHourly"], "€1", "env", `must be a number, got "€1"`],
    [KEYS["budget.maxHourly"], -1, "yaml", "must be at least 0"],
    [KEYS["budget.maxActive"], 1.5, "yaml", "must be a whole number, got 1.5"],
    [KEYS["budget.scope"], "team", "yaml", `must be one of owner, project, got "team"`],
    [KEYS["sync.delete"], null, "yaml", "must be true or false, got nothing"],
    [KEYS["hetzner.locations"], "fsn1", "yaml", `must be a list of strings, got "fsn1"`],
    [KEYS["hetzner.locations"], [], "yaml", "must not be empty"],
    [KEYS["hetzner.locations"], ["fsn1", 2], "yaml", "must be a list of strings, got a list"],
    [KEYS.class, "", "yaml", "must not be empty"],
    [KEYS.class, { a: 1 }, "yaml", "must be a string, got a map"],
    [KEYS.workRoot, "work", "yaml", "must be an absolute path without .."],
    [
      KEYS["results.dir"],
      "/tmp/out",
      "yaml",
      "must be a relative path inside the repo (no leading / and no ..)",
    ],
    [KEYS["env.set"], { A: 1 }, "yaml", `value of "A" must be a string, got 1`],
    [KEYS["env.set"], ["A"], "yaml", "must be a map of names to strings, got a list"],
    [
      JOB_KEYS.stop,
      "sometimes",
      "yaml",
      `must be one of auto, always, success, failure, never, got "sometimes"`,
    ],
    [JOB_KEYS.command, "  ", "yaml", `must be a command string or a non-empty list of words, got "  "`],
    [JOB_KEYS.command, [], "yaml", "must be a command string or a non-empty list of words, got a list"],
    [
      JOB_KEYS.junit,
      ["../x.xml"],
      "yaml",
      "entries must be a relative path inside the repo (no leading / and no ..)",
    ],
    [JOB_KEYS.timeout, "0", "yaml", "must be at least 1s"],
  ];
  for (const [spec, raw, origin, message] of rows) {
    assert.throws(() => coerce(spec, raw, origin), { message }, `${JSON.stringify(raw)} (${origin})`);
  }
});

Deno.test("coerce: a long wrong string is described, not echoed (it may be a pasted secret)", () => {
  const pasted = "x".repeat(30);
  assert.throws(() => coerce(KEYS.ttl, pasted), (e: Error) => !e.message.includes(pasted));
});

Deno.test("parseBool: 1/true/yes/on and 0/false/no/off, case-insensitive", () => {
  for (const t of ["1", "true", "YES", "On", " on "]) assert.equal(parseBool(t), true, t);
  for (const f of ["0", "false", "No", "OFF"]) assert.equal(parseBool(f), false, f);
  for (const x of ["", "2", "y", "enabled"]) assert.equal(parseBool(x), null, x);
});

Deno.test("did-you-mean: edit distance at most 2", () => {
  assert.equal(editDistance("idleTimout", "idleTimeout"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(suggest("idleTimout", ["ttl", "idleTimeout"]), ` (did you mean "idleTimeout"?)`);
  assert.equal(suggest("comand", ["command", "class"]), ` (did you mean "command"?)`);
  assert.equal(suggest("IDLETIMEOUT", ["idleTimeout"]), ` (did you mean "idleTimeout"?)`);
  assert.equal(suggest("somethingelse", ["ttl", "idleTimeout"]), "");
});

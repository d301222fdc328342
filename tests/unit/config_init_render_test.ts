/**
 * The file `crabbox init` writes (config/init_render.ts): it loads here with no problem and no warning,
 * holds only keys the Go crabbox CLI reads the same way, and comments every key. Table-driven.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { INIT_JOB, type InitChoice, renderInitConfig, yamlScalar } from "../../config/init_render.ts";
import { readConfigFile } from "../../config/validate.ts";
import { Problems } from "../../config/problems.ts";
import { GO_JOB_KEYS, GO_TOP_KEYS } from "../../config/compat.ts";

const BASE: InitChoice = {
  kinds: ["pnpm"],
  class: "standard",
  testCommand: "pnpm install --frozen-lockfile && pnpm test",
  tools: ["node", "pnpm"],
  excludes: ["node_modules", ".pnpm-store"],
  envAllow: ["CI", "NODE_OPTIONS"],
};

const CHOICES: [string, InitChoice][] = [
  ["pnpm", BASE],
  ["nothing detected, no job", {
    kinds: [],
    class: "tiny",
    testCommand: null,
    tools: [],
    excludes: [],
    envAllow: ["CI"],
  }],
  ["cargo on a server type", {
    kinds: ["cargo"],
    class: "cpx32",
    testCommand: "cargo test --workspace",
    tools: ["cargo"],
    excludes: ["target/"],
    envAllow: ["CI", "RUST_LOG", "RUST_BACKTRACE"],
  }],
  ["a command and patterns YAML would misread unquoted", {
    ...BASE,
    testCommand: `FOO="a: b" make test # all \\ 'quoted'`,
    excludes: ["!keep.log", "*.tmp", "[ab]*", "- dash", "@scope"],
  }],
  ["a multi-line command", { ...BASE, testCommand: "set -e\nmake lint\nmake test" }],
];

/** Every key path of a parsed YAML value (lists are leaves), `jobs.test.command` style. */
function keyPaths(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keyPaths(v, prefix ? `${prefix}.${k}` : k));
}

Deno.test("the file loads here with no problem and no warning, with the chosen values", () => {
  for (const [name, choice] of CHOICES) {
    const text = renderInitConfig(choice);
    const problems = new Problems();
    const layer = readConfigFile(text, ".crabbox.yaml", "repo", problems);
    assert.deepEqual(problems.list, [], name);
    assert.deepEqual([...layer.warnings, ...layer.compatWarnings.map((w) => w.message)], [], name);
    const settings = Object.fromEntries(Object.entries(layer.settings).map(([k, s]) => [k, s.value]));
    assert.deepEqual(settings, {
      class: choice.class,
      "sync.exclude": choice.excludes,
      "env.allow": choice.envAllow,
    }, name);
    if (choice.testCommand === null) assert.deepEqual(Object.keys(layer.jobs), [], name);
    else {
      assert.deepEqual(Object.keys(layer.jobs), [INIT_JOB], name);
      assert.deepEqual(layer.jobs[INIT_JOB].values, {
        shell: true,
        command: choice.testCommand,
        stop: "auto",
      });
      assert.deepEqual(layer.jobs[INIT_JOB].unavailable, [], name);
    }
  }
});

Deno.test("every key written is one the Go crabbox CLI reads with the same meaning", () => {
  for (const [name, choice] of CHOICES) {
    const paths = keyPaths(parse(renderInitConfig(choice)));
    assert.ok(paths.length >= 3, name);
    for (const path of paths) {
      const job = path.match(/^jobs\.[^.]+\.(.+)$/);
      const spec = job ? GO_JOB_KEYS[job[1]] : GO_TOP_KEYS[path];
      assert.equal(spec?.fate, "same", `${name}: ${path} is a Go key of the same meaning`);
    }
    // Go decodes `command` into a string field: a list would be a parse error there.
    const job = (parse(renderInitConfig(choice)) as { jobs?: Record<string, { command: unknown }> }).jobs;
    if (job) assert.equal(typeof job[INIT_JOB].command, "string", name);
  }
});

Deno.test("every key has a comment: above a setting, below a section's name", () => {
  for (const [name, choice] of CHOICES) {
    const lines = renderInitConfig(choice).split("\n");
    lines.forEach((line, i) => {
      const key = line.match(/^\s*([A-Za-z]+):(.*)$/);
      if (!key) return;
      const isSection = key[2].trim() === "" && !/^\s*(exclude|allow):/.test(line);
      const neighbour = isSection ? lines[i + 1] : lines[i - 1];
      assert.match(neighbour, /^\s*#/, `${name}: ${key[1]} (line ${i + 1}) has a comment`);
    });
  }
});

Deno.test("the header names what was detected; tools are only suggested, in a comment", () => {
  const text = renderInitConfig(BASE);
  assert.match(text, /^# crabbox settings .*\(detected: pnpm\)\.$/m);
  assert.match(text, /^# {3}preflightTools: \[node, pnpm\]$/m);
  assert.doesNotMatch(renderInitConfig({ ...BASE, tools: [] }), /preflightTools/);
  assert.match(renderInitConfig({ ...BASE, kinds: [] }), /\(detected: no known project kind\)/);
});

Deno.test("yamlScalar: one line that reads back as the same string", () => {
  const values = [
    "make test",
    "pnpm install --frozen-lockfile && pnpm test",
    "!keep",
    "a: b",
    "x #y",
    "- a",
    "*.log",
    "target/",
    "it's",
    'say "hi"',
    "a\nb",
    "",
    "yes",
    "123",
    "@x",
    "`x`",
    "%x",
    "a ".repeat(60),
    "tab\there",
  ];
  for (const value of values) {
    const scalar = yamlScalar(value);
    assert.ok(!scalar.includes("\n"), JSON.stringify(value));
    assert.equal(parse(`k: ${scalar}\n`).k, value, JSON.stringify(value));
  }
});

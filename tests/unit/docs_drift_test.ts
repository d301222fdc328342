/**
 * Every generated file under docs/ (configuration reference, JSON Schema, exit codes, one page per
 * command) must match what the generator renders now from the config tables and the command tree (else:
 * deno task gen:docs), and the schema must accept what validation accepts and flag what it refuses, as an
 * editor would with yaml-language-server.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import AjvModule from "ajv";
import { renderJsonSchema, renderReference } from "../../config/reference.ts";
import { GO_JOB_KEYS, GO_TOP_KEYS } from "../../config/compat.ts";
import { JOB_KEYS, KEYS } from "../../config/schema.ts";
import { COMMANDS_DIR, docsProgram, generatedDocs, inertDeps } from "../../docs/pages.ts";
import { EXIT_CODE_ROWS, kindsForExitCode } from "../../cli/exit_codes.ts";
import { EXIT_CODES, INTERRUPT_EXIT_CODES } from "../../core/errors.ts";
import { CRABBOX_KEYS } from "../../labels/codec.ts";
import { SWEEP_REASONS } from "../../labels/sweep.ts";

// deno-lint-ignore no-explicit-any
const Ajv = ((AjvModule as any).default ?? AjvModule) as any;
const DOCS = new URL("../../docs/", import.meta.url);
const FIXTURES = new URL("../fixtures/go/", import.meta.url);
const HINT = "the docs are out of date: run deno task gen:docs and commit docs/";

Deno.test("every generated doc matches its generator (else: run deno task gen:docs)", async () => {
  const docs = generatedDocs();
  for (const [path, text] of docs) {
    const committed = await Deno.readTextFile(new URL(path, DOCS)).catch(() => null);
    assert.ok(committed !== null, `docs/${path} is missing: ${HINT}`);
    assert.equal(committed, text, `docs/${path} differs: ${HINT}`);
  }
  for await (const entry of Deno.readDir(new URL(`${COMMANDS_DIR}/`, DOCS))) {
    const path = `${COMMANDS_DIR}/${entry.name}`;
    assert.ok(docs.has(path), `docs/${path} is not generated (a removed command?): ${HINT}`);
  }
});

Deno.test("docs/configuration.md covers every key; the command pages every command", () => {
  const reference = renderReference();
  for (const key of [...Object.keys(KEYS), ...Object.keys(JOB_KEYS)]) {
    assert.ok(reference.includes(`| \`${key}\` |`), `${key} is in the reference`);
  }
  for (const key of [...Object.keys(GO_TOP_KEYS), ...Object.keys(GO_JOB_KEYS)]) {
    assert.ok(reference.includes(`${key}`), `Go key ${key} is in the reference`);
  }
  for (const [key, spec] of [...Object.entries(KEYS), ...Object.entries(JOB_KEYS)]) {
    assert.ok(spec.doc && spec.doc.length > 5, `${key} has a doc line`);
  }
  const docs = generatedDocs();
  const index = docs.get(`${COMMANDS_DIR}/README.md`)!;
  for (const command of docsProgram().commands) {
    const page = docs.get(`${COMMANDS_DIR}/${command.name()}.md`);
    assert.ok(page, `${command.name()} has a page`);
    assert.ok(index.includes(`](${command.name()}.md)`), `the index links ${command.name()}`);
    for (const option of command.options.filter((o) => !o.hidden)) {
      assert.ok(page.includes(`| \`${option.flags}\` |`), `${command.name()} ${option.flags}`);
    }
  }
});

Deno.test("every exit code of core/errors.ts has a row in the exit-code table", () => {
  const rows = new Set(EXIT_CODE_ROWS.map((row) => row.code));
  for (const code of [...Object.values(EXIT_CODES), ...Object.values(INTERRUPT_EXIT_CODES)]) {
    assert.ok(rows.has(String(code)), `exit code ${code} is documented`);
  }
  assert.deepEqual(kindsForExitCode("2"), ["usage", "config", "policy"]);
  assert.deepEqual(kindsForExitCode("143"), ["interrupted"]);
  assert.deepEqual(kindsForExitCode("N"), []);
});

Deno.test("the hand-written docs name every label key and every sweep reason", async () => {
  const labels = await Deno.readTextFile(new URL("labels.md", DOCS));
  for (const key of CRABBOX_KEYS) {
    assert.match(labels, new RegExp(`^\\| [^|]*\`${key}\``, "m"), `labels.md: ${key}`);
  }
  const sweep = await Deno.readTextFile(new URL("sweep.md", DOCS));
  for (const reason of SWEEP_REASONS) assert.ok(sweep.includes(`\`${reason}\``), `sweep.md: ${reason}`);
});

Deno.test("the docs generator builds the tree without touching the outside world", () => {
  const deps = inertDeps();
  assert.throws(() => deps.proc.run("ssh", []), /docs generation must not use proc\.run/);
  assert.throws(() => deps.hetzner({ notify: () => {}, debug: () => {} }), /must not use hetzner/);
  assert.throws(() => deps.fs.cwd(), /must not use fs\.cwd/);
  assert.throws(() => deps.system.user(), /must not use system\.user/);
  assert.equal(deps.env.get("HCLOUD_TOKEN"), undefined);
  assert.equal(docsProgram().name(), "crabbox");
});

Deno.test("the JSON Schema accepts the Go fixtures this CLI loads and flags typos and refused keys", async () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(renderJsonSchema());
  const check = async (file: string) => {
    const value = parse(await Deno.readTextFile(new URL(file, FIXTURES)), { merge: true });
    validate(value);
    return ((validate.errors ?? []) as {
      instancePath: string;
      keyword: string;
      params: Record<string, unknown>;
    }[])
      .map((e) => `${e.instancePath || "/"} ${e.keyword} ${JSON.stringify(e.params)}`);
  };
  for (const file of ["init.yaml", "aws.yaml", "blacksmith.yaml", "jobs.yaml"]) {
    assert.deepEqual(await check(file), [], file);
  }
  const typos = await check("typos.yaml");
  for (const key of ["clas", "capacty", "comand", "artifactGlob"]) {
    assert.ok(typos.some((e) => e.includes(`"additionalProperty":"${key}"`)), `${key}: ${typos}`);
  }
  const broker = await check("broker_user.yaml");
  assert.ok(broker.some((e) => e.startsWith("/broker not")), broker.join("\n"));
  assert.ok(broker.some((e) => e.startsWith("/coordinator not")), broker.join("\n"));
  const native = parse("class: small\nssh:\n  port: 2222\nsync:\n  warnBytes: 5GiB\nttl: 1h30m\n");
  assert.equal(validate(native), true, JSON.stringify(validate.errors));
  assert.equal(validate(parse("ttl: 90\n")), false);
  assert.equal(validate(parse("jobs:\n  Bad_Name:\n    command: x\n")), false);
});

/**
 * docs/configuration.md and docs/crabbox.schema.json are generated from the config tables: they must match
 * what the generator writes now (else: deno task gen:docs), and the schema must accept what validation
 * accepts and flag what it refuses, as an editor would with yaml-language-server.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import AjvModule from "ajv";
import { renderJsonSchema, renderReference } from "../../config/reference.ts";
import { GO_JOB_KEYS, GO_TOP_KEYS } from "../../config/compat.ts";
import { JOB_KEYS, KEYS } from "../../config/schema.ts";

// deno-lint-ignore no-explicit-any
const Ajv = ((AjvModule as any).default ?? AjvModule) as any;
const DOCS = new URL("../../docs/", import.meta.url);
const FIXTURES = new URL("../fixtures/go/", import.meta.url);
const HINT = "the docs are out of date: run deno task gen:docs and commit docs/";

Deno.test("docs/configuration.md and docs/crabbox.schema.json match the config tables", async () => {
  assert.equal(await Deno.readTextFile(new URL("configuration.md", DOCS)), renderReference(), HINT);
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(new URL("crabbox.schema.json", DOCS))),
    renderJsonSchema(),
    HINT,
  );
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

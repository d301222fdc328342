/** Every command's help and error texts match tests/cmd/golden/ (a changed flag: run deno task gen:golden). */
import assert from "node:assert/strict";
import { GOLDEN_DIR, REGENERATE, renderGolden } from "./golden.ts";

const HINT = `the golden help/error files are out of date: run ${REGENERATE} and commit tests/cmd/golden/`;

Deno.test(`every command's help and error texts match tests/cmd/golden/ (else: run ${REGENERATE})`, async () => {
  const files = await renderGolden();
  const committed = new Set<string>();
  for await (const entry of Deno.readDir(GOLDEN_DIR)) if (entry.isFile) committed.add(entry.name);
  for (const [name, text] of files) {
    assert.ok(committed.has(name), `tests/cmd/golden/${name} is missing; ${HINT}`);
    assert.equal(
      await Deno.readTextFile(new URL(name, GOLDEN_DIR)),
      text,
      `tests/cmd/golden/${name}: ${HINT}`,
    );
  }
  const stale = [...committed].filter((name) => !files.has(name));
  assert.deepEqual(stale, [], `no command renders these any more; ${HINT}`);
});

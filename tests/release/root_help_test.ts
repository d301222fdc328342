/**
 * `crabbox --help` is answered at the entry point from the generated cli/root_help.ts (no command tree
 * loaded): it must be the very text the full path prints, for --help and -h, and a reader that
 * goes away early must not make it chatter.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ROOT_HELP } from "../../cli/root_help.ts";
import { fakeCli } from "../cmd/_fakes.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const LAUNCHER = `${ROOT}crabbox`;

Deno.test("the entry point's --help and -h print the full path's root help, exit 0", async () => {
  const cli = await fakeCli();
  try {
    assert.equal((await cli.run("--help")).stdout, ROOT_HELP);
    assert.equal((await cli.run("-h")).stdout, ROOT_HELP);
  } finally {
    await cli.cleanup();
  }
  for (const flag of ["--help", "-h"]) {
    const out = await new Deno.Command(LAUNCHER, { args: [flag], stdin: "null" }).output();
    assert.equal(out.code, 0, flag);
    assert.equal(new TextDecoder().decode(out.stdout), ROOT_HELP, flag);
    assert.equal(new TextDecoder().decode(out.stderr), "", flag);
  }
});

Deno.test("the entry point's --help into a reader that closes early is silent and exits 0", async () => {
  const out = await new Deno.Command("bash", {
    args: ["-c", `'${LAUNCHER}' --help | head -c 10; echo " rc=\${PIPESTATUS[0]}"`],
    stdin: "null",
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout), "Usage: cra rc=0\n");
  assert.equal(new TextDecoder().decode(out.stderr), "");
});

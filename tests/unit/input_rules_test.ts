/** Pure input rules of issue 8 (§5): job names, classes, lease ids, blank commands, selector values. */
import assert from "node:assert/strict";
import { checkJobName } from "../../config/validate_jobs.ts";
import { classProblem } from "../../lease/classes.ts";
import { checkLeaseRef } from "../../lease/resolve.ts";
import { isBlankCommand } from "../../cli/run_flags.ts";
import { leaseServer, poolMembers, slugServers } from "../../labels/selectors.ts";
import { CrabboxError } from "../../core/errors.ts";
import { coerce } from "../../config/values.ts";
import { parseBoundedDuration } from "../../core/duration.ts";
import { JOB_KEYS } from "../../config/schema.ts";

function thrown(run: () => unknown): CrabboxError | null {
  try {
    run();
    return null;
  } catch (error) {
    assert.ok(error instanceof CrabboxError, String(error));
    return error;
  }
}

Deno.test("job names: the config's pattern, checked before any path is built", () => {
  for (const ok of ["test", "e2e.linux", "a_b-c", "0", "a".repeat(63)]) {
    assert.equal(thrown(() => checkJobName(ok)), null);
  }
  for (const bad of ["", "../x", "a/b", "..", ".x", "-x", "Test", "a b", "a".repeat(64), "x\ny", "é"]) {
    const error = thrown(() => checkJobName(bad));
    assert.equal(error?.kind, "usage", bad);
    assert.equal(error?.message, `job name ${JSON.stringify(bad)} is invalid`);
    assert.ok(!error?.message.includes("\n"), "one line");
  }
});

Deno.test("classes: the six names or a server type name; anything else names the classes", () => {
  for (
    const ok of ["tiny", "small", "standard", "fast", "large", "beast", "cpx32", "ccx63", "cax11", "cx23"]
  ) {
    assert.equal(classProblem(ok), null, ok);
  }
  for (const bad of ["huge", "Beast", "beast ", "x;y", "../x", "cpx", "32", "toString", "__proto__"]) {
    assert.equal(
      classProblem(bad),
      `${JSON.stringify(bad)} is not a class (tiny, small, standard, fast, large, beast)`,
      bad,
    );
  }
});

Deno.test("lease ids: numbers no server can have are not found; the rest go to the API", () => {
  const rows: [string, string | null][] = [
    ["1", null],
    ["61234567", null],
    [String(Number.MAX_SAFE_INTEGER), null],
    ["cbx_0123456789ab", null],
    ["violet-prawn", null],
    ["crabbox-violet-prawn-40675f31", null],
    ["0", "not_found"],
    ["000", "not_found"],
    ["-5", "not_found"],
    ["+5", "not_found"],
    [String(Number.MAX_SAFE_INTEGER + 2), "not_found"],
    ["99999999999999999999", "not_found"],
    ["", "usage"],
    ["  ", "usage"],
  ];
  for (const [id, kind] of rows) {
    const error = thrown(() => checkLeaseRef(id));
    assert.equal(error?.kind ?? null, kind, id);
    if (kind === "not_found") assert.equal(error?.exitCode, 4);
  }
});

Deno.test("blank commands: an empty or blank program is refused (flags and config alike)", () => {
  const rows: [string[], boolean][] = [
    [[""], true],
    ["  ".split(","), true],
    [["", "ls"], true],
    [["\t"], true],
    [["ls"], false],
    [[" ls"], false],
    [["ls", ""], false],
    [[], false],
  ];
  for (const [argv, blank] of rows) assert.equal(isBlankCommand(argv), blank, JSON.stringify(argv));
  assert.throws(() => coerce(JOB_KEYS.command, ["", "x"]), /must be a command string or a non-empty list/);
  assert.throws(() => coerce(JOB_KEYS.command, " "), /must be a command string/);
  assert.deepEqual(coerce(JOB_KEYS.command, ["make", ""]), ["make", ""]);
});

Deno.test("label selectors take label values only: no term can be smuggled in", () => {
  assert.equal(leaseServer("cbx_0123456789ab"), "crabbox=true,lease=cbx_0123456789ab");
  assert.equal(slugServers("violet-prawn"), "crabbox=true,slug=violet-prawn");
  assert.equal(poolMembers("default"), "crabbox=true,pool=default");
  for (const bad of ["x,crabbox=false", "a=b", "!x", "x in (a)", "", "-x", "a".repeat(64), "x\n"]) {
    for (const selector of [leaseServer, slugServers, poolMembers]) {
      assert.equal(thrown(() => selector(bad))?.kind, "usage", `${selector.name}(${JSON.stringify(bad)})`);
    }
  }
});

Deno.test("bounded durations: zero, past the cap and overflowing values name the bounds", () => {
  const rows: [string, number, number | string][] = [
    ["1s", 1, 1],
    ["90m", 60, 5400],
    ["168h", 1, 168 * 3600],
    ["0s", 1, "must be between 1s and 168h"],
    ["0h0m", 1, "must be between 1s and 168h"],
    ["30s", 60, "must be between 1m and 168h"],
    ["169h", 1, "must be between 1s and 168h"],
    [`1${"0".repeat(400)}s`, 1, "must be between 1s and 168h"],
    ["-5m", 1, 'invalid duration "-5m" (use forms like 90m, 1h30m, 45s)'],
  ];
  for (const [text, min, expected] of rows) {
    if (typeof expected === "number") assert.equal(parseBoundedDuration(text, min), expected, text);
    else assert.throws(() => parseBoundedDuration(text, min), { message: expected }, text);
  }
});

/** Exit codes of interruptions, and which failure an interrupted invocation ends with. */
import assert from "node:assert/strict";
import {
  CrabboxError,
  finalFailure,
  interruptedError,
  interruptExitCode,
  syncError,
} from "../../core/errors.ts";

Deno.test("each interruption exits 128 + its signal number", () => {
  const rows = [["SIGHUP", 129], ["SIGINT", 130], ["SIGPIPE", 141], ["SIGTERM", 143]] as const;
  for (const [cause, code] of rows) {
    assert.equal(interruptExitCode(cause), code, cause);
    assert.equal(interruptedError(cause).exitCode, code, cause);
    assert.equal(interruptedError(cause).kind, "interrupted", cause);
  }
  assert.equal(interruptedError("SIGPIPE").message, "output closed (broken pipe)");
});

Deno.test("once interrupted, the interruption is the failure, whatever the cancelled work threw", () => {
  const aborted = (cause: "SIGTERM" | "SIGPIPE") => {
    const controller = new AbortController();
    controller.abort(interruptedError(cause));
    return controller.signal;
  };
  const calm = new AbortController().signal;
  const rows: [string, unknown, AbortSignal, string, number][] = [
    ["plain error, no signal", new Error("boom"), calm, "internal", 1],
    ["typed error, no signal", syncError("rsync failed (12)"), calm, "sync", 6],
    [
      "aborted fetch under SIGTERM",
      new DOMException("aborted", "AbortError"),
      aborted("SIGTERM"),
      "interrupted",
      143,
    ],
    ["killed rsync under SIGTERM", syncError("rsync timed out"), aborted("SIGTERM"), "interrupted", 143],
    ["closed pipe during the command", null, aborted("SIGPIPE"), "interrupted", 141],
    ["the interruption itself", interruptedError("SIGTERM"), aborted("SIGTERM"), "interrupted", 143],
  ];
  for (const [name, error, signal, kind, code] of rows) {
    const failure = finalFailure(error, signal);
    assert.ok(failure instanceof CrabboxError, name);
    assert.deepEqual([failure.kind, failure.exitCode], [kind, code], name);
  }
});

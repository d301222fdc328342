/**
 * The failure bundle's pure parts: the bounded output ring buffer, the document (redacted, with the
 * continue lines only while the box remains), and --keep-on-failure as a rewrite of the stop policy.
 */
import assert from "node:assert/strict";
import {
  buildFailureBundle,
  failureBundlePath,
  type FailureFacts,
  OutputTail,
} from "../../lease/failure_bundle.ts";
import { keepOnFailure, shouldDelete } from "../../lease/run.ts";
import { RUN_PHASES } from "../../lease/run_summary.ts";
import type { StopPolicy } from "../../config/schema.ts";
import { CrabboxError } from "../../core/errors.ts";
import { Redactor } from "../../core/redact.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("output tail: keeps exactly the last bytes across wraps and oversized chunks", () => {
  const rows: [string[], string][] = [
    [[], ""],
    [["abc"], "abc"],
    [["abcdefgh"], "abcdefgh"],
    [["abcde", "fgh"], "abcdefgh"],
    [["abcde", "fghij"], "cdefghij"],
    [["abcdefghijkl"], "efghijkl"],
    [["ab", "cdefghijklmn", "op"], "ijklmnop"],
    [["abcdefg", "h", "i", "j"], "cdefghij"],
  ];
  for (const [chunks, last] of rows) {
    const tail = new OutputTail(8);
    for (const chunk of chunks) tail.push(bytes(chunk));
    assert.equal(text(tail.bytes()), last, chunks.join("+"));
    assert.equal(tail.total, chunks.join("").length);
  }
});

Deno.test("output tail: memory stays at its capacity however much streams through", () => {
  const tail = new OutputTail(1024);
  const line = bytes(`${"x".repeat(99)}\n`);
  for (let i = 0; i < 100_000; i++) tail.push(line);
  assert.equal(tail.total, 10_000_000);
  assert.equal(tail.bytes().length, 1024);
  // 1024 bytes hold 10 whole lines plus a cut one, which is dropped.
  assert.equal(tail.lines().length, 10);
  assert.ok(tail.lines().every((l) => l === "x".repeat(99)));
});

Deno.test("output tail lines: the last 50, CRLF and a final newline handled, a cut first line dropped", () => {
  const tail = new OutputTail();
  for (let i = 1; i <= 80; i++) tail.push(bytes(`line ${i}\r\n`));
  const lines = tail.lines();
  assert.equal(lines.length, 50);
  assert.deepEqual([lines[0], lines.at(-1)], ["line 31", "line 80"]);
  const cut = new OutputTail(14);
  cut.push(bytes("first line\nsecond\nlast"));
  assert.deepEqual(
    cut.lines(),
    ["second", "last"],
    "the cut 'first line' is gone; an unfinished last line stays",
  );
  const long = new OutputTail();
  long.push(bytes(`${"y".repeat(5000)}\n`));
  assert.equal(long.lines()[0].length, 2001);
});

function facts(overrides: Partial<FailureFacts> = {}): FailureFacts {
  const tail = new OutputTail();
  tail.push(bytes("building\nusing token s3cr3t-canary-value\nboom\n"));
  return {
    runId: "run_0123456789ab",
    job: null,
    phase: "command",
    exitCode: 3,
    commandRan: true,
    error: null,
    argv: ["sh", "-c", "echo s3cr3t-canary-value; exit 3"],
    lease: {
      id: "cbx_0123456789ab",
      slug: "violet-prawn",
      serverId: 42,
      serverName: "crabbox-violet-prawn-40675f31",
      ipv4: "203.0.113.7",
      fresh: true,
    },
    boxRemains: true,
    phases: { acquire: 1200, bootstrap: 30_000, command: 500 },
    startedMs: Date.parse("2026-05-01T12:00:00Z"),
    finishedMs: Date.parse("2026-05-01T12:01:00Z"),
    tail,
    ...overrides,
  };
}

Deno.test("bundle: phase, exit, lease, timings in result-file order, last lines, continue lines", () => {
  const bundle = buildFailureBundle(facts(), (t) => t);
  assert.equal(bundle.schema, "crabbox.failure/v1");
  assert.deepEqual([bundle.phase, bundle.exitCode, bundle.exitSource], ["command", 3, "remote"]);
  assert.equal(bundle.lease?.id, "cbx_0123456789ab");
  assert.equal(bundle.lease?.boxRemains, true);
  assert.deepEqual(bundle.phases.map((p) => p.name), [...RUN_PHASES]);
  assert.deepEqual(bundle.phases.slice(0, 5).map((p) => p.durationMs), [1200, 30_000, 0, 0, 500]);
  assert.equal(bundle.durationMs, 60_000);
  assert.equal(bundle.output.lastLines.at(-1), "boom");
  assert.deepEqual(bundle.continue, ["crabbox ssh cbx_0123456789ab", "crabbox stop cbx_0123456789ab"]);
  assert.equal(
    failureBundlePath("/r/.crabbox-results", bundle.runId),
    "/r/.crabbox-results/failure-run_0123456789ab.json",
  );
});

Deno.test("bundle: no continue lines once the box is gone or never was; crabbox's own failure", () => {
  assert.deepEqual(buildFailureBundle(facts({ boxRemains: false }), (t) => t).continue, []);
  const early = buildFailureBundle(
    facts({
      phase: "acquire",
      lease: null,
      boxRemains: false,
      commandRan: false,
      exitCode: 8,
      error: new CrabboxError("provider", "no capacity: ccx13@fsn1 resource_unavailable", {
        hint: "retry later",
      }),
    }),
    (t) => t,
  );
  assert.deepEqual([early.phase, early.exitSource, early.lease, early.continue], [
    "acquire",
    "crabbox",
    null,
    [],
  ]);
  assert.deepEqual(early.error, {
    kind: "provider",
    message: "no capacity: ccx13@fsn1 resource_unavailable",
    hint: "retry later",
  });
});

Deno.test("bundle: a forwarded secret value is redacted from the output, the command and the error", () => {
  const redactor = new Redactor();
  redactor.add("s3cr3t-canary-value");
  const bundle = buildFailureBundle(
    facts({ error: new CrabboxError("remote", "lost while printing s3cr3t-canary-value") }),
    (t) => redactor.redact(t),
  );
  const json = JSON.stringify(bundle);
  assert.doesNotMatch(json, /s3cr3t-canary-value/);
  assert.ok(bundle.output.lastLines.includes("using token ***"));
  assert.equal(bundle.command[2], "echo ***; exit 3");
  assert.equal(bundle.error?.message, "lost while printing ***");
});

Deno.test("--keep-on-failure: never deletes after a failure, and on success deletes exactly as before", () => {
  const policies: StopPolicy[] = ["auto", "always", "success", "failure", "never"];
  const rows: [StopPolicy, boolean, StopPolicy][] = [
    ["auto", false, "success"],
    ["auto", true, "auto"],
    ["always", false, "success"],
    ["always", true, "success"],
    ["success", false, "success"],
    ["failure", false, "never"],
    ["never", true, "never"],
  ];
  for (const [policy, existing, expected] of rows) {
    assert.equal(keepOnFailure(policy, existing), expected, `${policy} existing=${existing}`);
  }
  for (const policy of policies) {
    for (const fresh of [true, false]) {
      const rewritten = keepOnFailure(policy, !fresh);
      assert.equal(
        shouldDelete(rewritten, fresh, 3),
        false,
        `${policy} fresh=${fresh} keeps after a failure`,
      );
      assert.equal(
        shouldDelete(rewritten, fresh, 0),
        shouldDelete(policy, fresh, 0),
        `${policy} fresh=${fresh}`,
      );
    }
  }
});

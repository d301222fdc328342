/**
 * Every API fault the harness injects, against a one-shot `crabbox run`: 429 storms with RateLimit
 * headers, an empty rate-limit bucket, 5xx, HTML bodies, timeouts, refused and dropped connections,
 * an ambiguous create (server made, answer lost), quota, the server limit, capacity, 401, failing
 * actions and failing releases. Each ends in its exit-code class with one clear line, leaks nothing
 * (a failed release is swept past expiry), and prints neither canary.
 */
import { checkOutput, type CodeExpectation, describeCode } from "./checks.ts";
import type { Row } from "./row.ts";
import type { Fault } from "../harness/fake_api.ts";
import { lastLines, type RowRun } from "./world.ts";

interface ApiCase {
  id: string;
  expect?: string;
  code: CodeExpectation;
  error?: RegExp;
  deadlineMs?: number;
  /** Faults Prism cannot carry (HTML, dropped connections) go to the fake directly. */
  direct?: boolean;
  setup(row: RowRun): void | Promise<void>;
  /** Row-specific checks after the CLI exited. */
  after?(row: RowRun, stdout: string, stderr: string, logStart: number): Promise<void> | void;
  /** The fault leaves a box on purpose (a failed release): a sweep past expiry must remove it. */
  sweep?: boolean;
}

const fault = (row: RowRun, f: Fault & { remaining?: number }): void =>
  void row.fake.faults.push({ ...f, remaining: f.remaining ?? f.count ?? 1 });

const resetSoon = (row: RowRun) => ({ "RateLimit-Reset": String(Math.floor(row.fake.now() / 1000) + 1) });

/** POST /servers the fake received since the row's run started. */
const posts = (row: RowRun, since: number) => {
  const sent = row.fake.log.slice(since).filter((r) => r.method === "POST" && r.path === "/servers");
  if (sent.length > 1) row.notes.push(`POST /servers answers: ${sent.map((r) => r.status).join(", ")}`);
  return sent.length;
};

const TINY_TYPES = ["ccx13", "cpx22", "cx23"];

const CASES: ApiCase[] = [
  {
    id: "api/429-burst-with-reset",
    code: 0,
    setup: (row) =>
      fault(row, {
        method: "GET",
        path: "/servers",
        status: 429,
        code: "rate_limit_exceeded",
        message: "Limit of '3600' requests per hour for token reached.",
        headers: resetSoon(row),
        count: 2,
      }),
  },
  {
    id: "api/429-storm-with-headers",
    code: 8,
    error: /rate limit/,
    setup: (row) =>
      fault(row, {
        method: "GET",
        path: "/servers",
        status: 429,
        code: "rate_limit_exceeded",
        message: "Limit of '3600' requests per hour for token reached.",
        headers: resetSoon(row),
        count: 1000,
      }),
  },
  {
    id: "api/429-empty-bucket-paced",
    expect: "exit 0, paced by RateLimit-Reset",
    code: 0,
    deadlineMs: 120_000,
    setup: (row) => row.fake.bucket.configure({ limit: 6, refillPerSecond: 1, remaining: 0 }, Date.now()),
  },
  {
    id: "api/500-once-on-list",
    code: 0,
    setup: (row) => fault(row, { method: "GET", path: "/servers", status: 500, code: "server_error" }),
  },
  {
    id: "api/500-storm-on-list",
    code: 8,
    error: /500|server_error/,
    setup: (row) =>
      fault(row, { method: "GET", path: "/servers", status: 500, code: "server_error", count: 1000 }),
  },
  {
    id: "api/502-html-once",
    code: 0,
    direct: true,
    setup: (row) => fault(row, { method: "GET", path: "/servers", status: 502, html: true }),
  },
  {
    id: "api/502-html-storm",
    code: 8,
    error: /502|bad_response/,
    direct: true,
    setup: (row) => fault(row, { method: "GET", path: "/servers", status: 502, html: true, count: 1000 }),
  },
  {
    id: "api/503-on-create-not-blind-retried",
    expect: "exit 0, looked up before a second POST",
    code: 0,
    setup: (row) => fault(row, { method: "POST", path: "/servers", status: 503, code: "unavailable" }),
    after: (row, _o, _e, since) =>
      void row.check(posts(row, since) <= 2, `${posts(row, since)} POST /servers for one lease`),
  },
  {
    id: "api/504-after-create-adopted",
    expect: "exit 0, one POST, adopted",
    code: 0,
    setup: (row) =>
      fault(row, { method: "POST", path: "/servers", status: 504, code: "timeout", afterCreate: true }),
    after: (row, _o, _e, since) =>
      void row.check(posts(row, since) === 1, `${posts(row, since)} POST /servers (the create was repeated)`),
  },
  {
    id: "api/dropped-after-create-adopted",
    expect: "exit 0, one POST, adopted",
    code: 0,
    direct: true,
    setup: (row) => fault(row, { method: "POST", path: "/servers", drop: true, afterCreate: true }),
    after: (row, _o, _e, since) =>
      void row.check(posts(row, since) === 1, `${posts(row, since)} POST /servers (the create was repeated)`),
  },
  {
    id: "api/dropped-list-retried",
    code: 0,
    direct: true,
    setup: (row) => fault(row, { method: "GET", path: "/servers", drop: true }),
  },
  {
    id: "api/timeout-on-list-retried",
    expect: "exit 0 after the 30 s request timeout",
    code: 0,
    deadlineMs: 120_000,
    // Answered (a 503) only after the client gave up; the fake directly, so Prism sees no late answer.
    direct: true,
    setup: (row) => fault(row, { method: "GET", path: "/servers", status: 503, delayMs: 33_000 }),
  },
  {
    id: "api/connection-refused",
    code: 8,
    error: /connection refused/,

    setup: (row) => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      listener.close();
      row.env.HCLOUD_ENDPOINT = `http://127.0.0.1:${port}`;
    },
  },
  {
    id: "api/server-count-quota",
    code: 8,
    error: /server-count quota|server limit/,
    setup: (row) => {
      row.fake.capacity = TINY_TYPES.map((serverType) => ({
        serverType,
        status: 403,
        code: "resource_limit_exceeded",
        message: "server limit exceeded",
        details: { limits: [{ name: "server" }] },
      }));
    },
  },
  {
    id: "api/server-limit-reached",
    code: 8,
    error: /limit|quota/,
    setup: (row) => void (row.fake.serverLimit = 0),
  },
  {
    id: "api/no-capacity-anywhere",
    code: 8,
    error: /no capacity/,
    setup: (row) => {
      row.fake.capacity = TINY_TYPES.map((serverType) => ({
        serverType,
        status: 412,
        code: "resource_unavailable",
        message: "server location disabled",
      }));
    },
  },
  {
    id: "api/401-unauthorized",
    code: 3,
    error: /401|unauthorized/,
    setup: (row) =>
      fault(row, {
        method: "GET",
        path: "/servers",
        status: 401,
        code: "unauthorized",
        message: "unable to authenticate",
      }),
  },
  {
    id: "api/422-on-create",
    code: 8,
    error: /422|invalid_input/,
    setup: (row) =>
      fault(row, {
        method: "POST",
        path: "/servers",
        status: 422,
        code: "invalid_input",
        message: "unsupported location for server type",
      }),
  },
  {
    id: "api/500-on-ssh-key-create",
    expect: "exit 0|8, nothing left",
    code: [0, 8],
    setup: (row) => fault(row, { method: "POST", path: "/ssh_keys", status: 500, code: "server_error" }),
  },
  {
    // A failed create leaves the server off and without an address: seen during the IP wait.
    id: "api/create-action-error",
    code: 8,
    error: /create_server action failed/,
    setup: (row) =>
      void row.fake.nextKnobs.push({
        nullIpv4: true,
        createActionError: { code: "server_error", message: "boot failed" },
      }),
  },
  {
    id: "api/504-on-label-put-retried",
    code: 0,
    setup: (row) => fault(row, { method: "PUT", path: "/servers/\\d+", status: 504, code: "timeout" }),
  },
  {
    id: "api/503-on-release-retried",
    code: 0,
    setup: (row) => fault(row, { method: "DELETE", path: "/servers/\\d+", status: 503, code: "unavailable" }),
  },
  {
    id: "api/release-fails-swept-later",
    expect: "exit 0 (the command's), warning; swept later",
    code: 0,
    sweep: true,
    setup: (row) =>
      fault(row, { method: "DELETE", path: "/servers/\\d+", status: 500, code: "server_error", count: 1000 }),
    after: (row, _stdout, stderr) => {
      row.check(
        /^crabbox: warning: release of cbx_\S+ failed/m.test(stderr),
        "no warning for the failed release",
      );
      row.fake.faults = [];
    },
  },
];

function apiRow(c: ApiCase): Row {
  return {
    id: c.id,
    category: "api",
    expect: c.expect ?? `${describeCode(c.code)}${c.code === 0 ? "" : ", one error line"}, nothing left`,
    deadlineMs: c.deadlineMs ?? 60_000,
    async run(row) {
      if (c.direct) row.env.HCLOUD_ENDPOINT = row.world.harness.directEndpoint;
      await c.setup(row);
      const logStart = row.fake.log.length;
      const out = await row.crabbox(["run", "--class", "tiny", "--no-sync", "--", "echo", "ok"]);
      checkOutput(row, "crabbox", out, {
        code: c.code,
        errorLine: out.code !== 0 ? "one" : "none",
        error: c.error,
      });
      if (out.code === 0) {
        row.check(out.stdout === "ok\n", `stdout was ${JSON.stringify(out.stdout.slice(0, 80))}`);
      }
      await c.after?.(row, out.stdout, out.stderr, logStart);
      if (c.sweep) {
        await row.sweepPastExpiry();
      } else if (!(await row.expectNothingLeft("the fault leaked"))) {
        row.notes.push(lastLines(out.stderr));
        await row.sweepPastExpiry();
      }
    },
  };
}

export function apiRows(): Row[] {
  return CASES.map(apiRow);
}

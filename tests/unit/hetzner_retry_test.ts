/** SPEC §6 retries and rate limits (§16 #9): idempotent calls only, backoff with jitter, 429 waits and caps. */
import assert from "node:assert/strict";
import { asCrabboxError } from "../../core/errors.ts";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import {
  backoffMs,
  decideRetry,
  isRetryable,
  rateLimitHintMs,
} from "../../providers/hetzner/retry_policy.ts";
import { actionJson, apiError, clientFor, type Exchange, FakeClock, serverJson, T0 } from "./hetzner_mock.ts";

const get7 = (status: number, code: string, extra: Partial<Exchange> = {}): Exchange => ({
  method: "GET",
  path: "/servers/7",
  status,
  response: apiError(code, `${code} happened`),
  ...extra,
});
const ok7: Exchange = { method: "GET", path: "/servers/7", response: { server: serverJson(7) } };
const limited = (headers: Record<string, string>): Exchange =>
  get7(429, "rate_limit_exceeded", { headers: { "RateLimit-Remaining": "0", ...headers } });

Deno.test("retry classification", () => {
  const cases: [number, string, boolean][] = [
    [0, "network_error", true],
    [0, "timeout", true],
    [429, "rate_limit_exceeded", true],
    [500, "server_error", true],
    [502, "bad_response", true],
    [503, "unavailable", true],
    [504, "timeout", true],
    [409, "conflict", true],
    [423, "locked", true],
    [409, "uniqueness_error", false],
    [422, "invalid_input", false],
    [403, "resource_limit_exceeded", false],
    [401, "unauthorized", false],
    [404, "not_found", false],
    [412, "resource_unavailable", false],
    [200, "bad_response", false],
  ];
  for (const [status, code, expected] of cases) {
    assert.equal(isRetryable({ status, code }), expected, `${status} ${code}`);
  }
});

Deno.test("backoff is 1, 2, 4, 8 s with ±50 % jitter", () => {
  for (const [attempt, base] of [[1, 1000], [2, 2000], [3, 4000], [4, 8000], [9, 8000]]) {
    assert.equal(backoffMs(attempt, () => 0), base * 0.5);
    assert.equal(backoffMs(attempt, () => 0.5), base);
    const high = backoffMs(attempt, () => 0.999999);
    assert.ok(high < base * 1.5 && high > base * 1.49, `${attempt}: ${high}`);
  }
});

Deno.test("rate-limit hints: RateLimit-Reset against Hetzner time, else Retry-After", () => {
  const now = T0;
  const cases: [string | null, string | null, number | null][] = [
    [String(now / 1000 + 12), null, 12_000],
    [String(now / 1000 + 12), "3", 12_000],
    [String(now / 1000 - 5), null, 0],
    [null, "3", 3_000],
    ["soon", "7", 7_000],
    [null, null, null],
    [null, "later", null],
  ];
  for (const [reset, retryAfter, expected] of cases) {
    assert.equal(rateLimitHintMs({ reset, retryAfter }, now), expected, `${reset} ${retryAfter}`);
  }
});

Deno.test("retry decisions: attempts, 429 jitter, 60 s per wait, 2 min per call", () => {
  const half = () => 0.5;
  const e = (status: number, code: string, retryAfterMs: number | null = null) => ({
    status,
    code,
    retryAfterMs,
  });
  const cases: [ReturnType<typeof e>, number, number, number | null][] = [
    [e(503, "unavailable"), 1, 0, 1000],
    [e(0, "network_error"), 4, 0, 8000],
    [e(503, "unavailable"), 5, 0, null],
    [e(422, "invalid_input"), 1, 0, null],
    [e(429, "rate_limit_exceeded", 12_000), 1, 0, 12_500],
    [e(429, "rate_limit_exceeded", null), 2, 0, 2_500],
    [e(429, "rate_limit_exceeded", 3_600_000), 1, 0, 60_000],
    [e(429, "rate_limit_exceeded", 3_600_000), 3, 100_000, 20_000],
    [e(429, "rate_limit_exceeded", 1_000), 2, 120_000, null],
    [e(429, "rate_limit_exceeded", 1_000), 5, 0, null],
  ];
  for (const [error, attempt, rateWaitedMs, expected] of cases) {
    const decision = decideRetry(error, { attempt, rateWaitedMs }, half);
    assert.equal(decision.retry ? decision.waitMs : null, expected, JSON.stringify([error, attempt]));
  }
  // The added 429 jitter stays within 1 s.
  const jittered = decideRetry(
    e(429, "rate_limit_exceeded", 5_000),
    { attempt: 1, rateWaitedMs: 0 },
    () => 0.999,
  );
  assert.ok(jittered.retry && jittered.waitMs >= 5_000 && jittered.waitMs < 6_000);
});

Deno.test("a GET retries 503, 502 (HTML), timeout, conflict and then succeeds, backing off 1-2-4-8 s", async () => {
  const { api, clock, script, debugs } = clientFor([
    get7(503, "unavailable"),
    { method: "GET", path: "/servers/7", status: 502, raw: "<html><body>502 Bad Gateway</body></html>" },
    get7(504, "timeout"),
    get7(409, "conflict"),
    ok7,
  ]);
  const server = await api.getServer(7);
  assert.equal(server?.id, 7);
  assert.deepEqual(clock.sleeps, [1000, 2000, 4000, 8000]);
  assert.deepEqual(debugs.filter((d) => d.startsWith("retrying")), [
    "retrying GET /servers/7 in 1000ms (unavailable)",
    "retrying GET /servers/7 in 2000ms (bad_response)",
    "retrying GET /servers/7 in 4000ms (timeout)",
    "retrying GET /servers/7 in 8000ms (conflict)",
  ]);
  assert.ok(debugs.includes("hetzner GET /servers/7 200 0ms"), debugs.join("\n"));
  script.done();
});

Deno.test("jitter draws stay within ±50 % of each step", async () => {
  const draws = [0, 0.999, 0.25, 0.75];
  const { api, clock, script } = clientFor(
    [
      get7(503, "unavailable"),
      get7(503, "unavailable"),
      get7(503, "unavailable"),
      get7(503, "unavailable"),
      ok7,
    ],
    { random: () => draws.shift() ?? 0.5 },
  );
  await api.getServer(7);
  assert.deepEqual(clock.sleeps.map(Math.round), [500, 2998, 3000, 10000]);
  script.done();
});

Deno.test("five failed attempts give up with the last error, exit 8", async () => {
  const { api, clock, script } = clientFor(Array.from({ length: 5 }, () => get7(503, "unavailable")));
  const error = await api.getServer(7).catch((e) => e);
  assert.ok(error instanceof HetznerApiError);
  assert.equal(error.message, "hetzner GET /servers/7: 503 unavailable: unavailable happened");
  assert.equal(asCrabboxError(error).exitCode, 8);
  assert.equal(clock.sleeps.length, 4);
  script.done();
});

Deno.test("a non-retryable answer is not retried", async () => {
  const { api, clock, script } = clientFor([get7(422, "invalid_input")]);
  const error = await api.getServer(7).catch((e) => e);
  assert.equal(error.code, "invalid_input");
  assert.deepEqual(clock.sleeps, []);
  script.done();
});

Deno.test("DELETE retries a dropped connection; label PUT retries locked; bodies are {labels}", async () => {
  const labels = { crabbox: "true", state: "ready" };
  const { api, clock, script } = clientFor([
    { method: "DELETE", path: "/servers/7", fail: new TypeError("error sending request: connection reset") },
    { method: "DELETE", path: "/servers/7", response: { action: actionJson(3, "delete_server") } },
    {
      method: "PUT",
      path: "/servers/7",
      body: { labels },
      status: 423,
      response: apiError("locked", "server is locked"),
    },
    { method: "PUT", path: "/servers/7", body: { labels }, response: { server: serverJson(7, labels) } },
    { method: "DELETE", path: "/ssh_keys/5", status: 204 },
  ]);
  assert.equal(await api.deleteServer(7), "deleted");
  const updated = await api.replaceServerLabels(7, labels);
  assert.deepEqual(updated.labels, labels);
  assert.equal(await api.deleteSshKey(5), "deleted");
  assert.deepEqual(clock.sleeps, [1000, 1000]);
  script.done();
});

Deno.test("POST /ssh_keys is sent once, whatever the answer", async () => {
  const body = {
    name: "crabbox-cbx-0123456789ab",
    public_key: "ssh-ed25519 AAAA x",
    labels: { crabbox: "true" },
  };
  const { api, clock, script } = clientFor([
    { method: "POST", path: "/ssh_keys", body, status: 503, response: apiError("unavailable", "down") },
  ]);
  const error = await api.createSshKey({ name: body.name, publicKey: body.public_key, labels: body.labels })
    .catch((e) => e);
  assert.equal(error.status, 503);
  assert.deepEqual(clock.sleeps, []);
  script.done();
});

Deno.test("a request with no answer times out and is retried", async () => {
  const { api, script, debugs } = clientFor([{ method: "GET", path: "/servers/7", hang: true }, ok7], {
    requestTimeoutMs: 20,
  });
  assert.equal((await api.getServer(7))?.id, 7);
  assert.ok(debugs.includes("retrying GET /servers/7 in 1000ms (timeout)"), debugs.join("\n"));
  script.done();
});

Deno.test("429 waits until RateLimit-Reset on Hetzner's clock, plus jitter, and says so", async () => {
  // Hetzner's clock runs an hour ahead of ours: the reset must be read against Hetzner time.
  const hetznerNow = T0 + 3_600_000;
  const date = new Date(hetznerNow).toUTCString();
  const { api, clock, script, notes } = clientFor([
    limited({ Date: date, "RateLimit-Reset": String(hetznerNow / 1000 + 10) }),
    { ...ok7, headers: { Date: date } },
  ], { random: () => 0.2 });
  await api.getServer(7);
  assert.deepEqual(clock.sleeps, [10_200]);
  assert.deepEqual(notes, [
    "warning: hetzner rate limit nearly used up (0 requests left; the project allows 3600 per hour)",
    "hetzner rate limited; retrying in 10s",
  ]);
  script.done();
});

Deno.test("429 with Retry-After: short waits are silent, long ones announced", async () => {
  const { api, clock, script, notes } = clientFor([
    limited({ "Retry-After": "1" }),
    limited({ "Retry-After": "4" }),
    ok7,
  ]);
  await api.getServer(7);
  assert.deepEqual(clock.sleeps, [1_500, 4_500]);
  assert.deepEqual(notes.filter((n) => n.startsWith("hetzner rate limited")), [
    "hetzner rate limited; retrying in 5s",
  ]);
  script.done();
});

Deno.test("429 waits are capped at 60 s each and 2 min per call, then 'rate limited by Hetzner' exit 8", async () => {
  const farReset = { "RateLimit-Reset": String(T0 / 1000 + 3600) };
  const { api, clock, script } = clientFor([limited(farReset), limited(farReset), limited(farReset)]);
  const error = await api.getServer(7).catch((e) => e);
  assert.deepEqual(clock.sleeps, [60_000, 60_000]);
  assert.ok(error instanceof HetznerApiError);
  assert.equal(error.message, "hetzner GET /servers/7: 429 rate_limit_exceeded: rate limited by Hetzner");
  const rendered = asCrabboxError(error);
  assert.equal(rendered.exitCode, 8);
  assert.match(rendered.hint ?? "", /3600 requests per hour/);
  script.done();
});

Deno.test("429 gives up after five attempts even with short waits", async () => {
  const { api, clock, script } = clientFor(Array.from({ length: 5 }, () => limited({ "Retry-After": "0" })));
  const error = await api.getServer(7).catch((e) => e);
  assert.equal(error.apiMessage, "rate limited by Hetzner");
  assert.deepEqual(clock.sleeps, [500, 500, 500, 500]);
  script.done();
});

Deno.test("a low RateLimit-Remaining warns once per client", async () => {
  const low = { headers: { "RateLimit-Remaining": "42" } };
  const { api, script, notes } = clientFor([{ ...ok7, ...low }, { ...ok7, ...low }, {
    ...ok7,
    headers: { "RateLimit-Remaining": "3000" },
  }]);
  for (let i = 0; i < 3; i++) await api.getServer(7);
  assert.deepEqual(notes, [
    "warning: hetzner rate limit nearly used up (42 requests left; the project allows 3600 per hour)",
  ]);
  script.done();
});

Deno.test("the caller's abort ends the retry loop with its own reason", async () => {
  const controller = new AbortController();
  const reason = new Error("interrupted by SIGINT");
  const { api, script } = clientFor([get7(503, "unavailable")], {
    debug: (line) => line.startsWith("retrying") && controller.abort(reason),
  });
  const error = await api.getServer(7, { signal: controller.signal }).catch((e) => e);
  assert.equal(error, reason);
  script.done();
});

Deno.test("every Date header resets Hetzner time; a missing one keeps the last offset", async () => {
  const clock = new FakeClock(T0);
  const { api, script } = clientFor([
    { ...ok7, headers: { Date: "Fri, 01 May 2026 12:05:00 GMT" } },
    ok7,
    { ...ok7, headers: { Date: "Fri, 01 May 2026 11:59:00 GMT" } },
  ], { clock });
  assert.equal(api.now(), T0);
  await api.getServer(7);
  assert.equal(api.now(), T0 + 300_000);
  clock.nowMs += 1_000;
  await api.getServer(7);
  assert.equal(api.now(), T0 + 301_000);
  await api.getServer(7);
  assert.equal(api.now(), T0 - 60_000);
  script.done();
});

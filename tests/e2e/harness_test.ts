/**
 * The harness itself: the fake Hetzner API through Prism (contract lane), real sshd boxes in network
 * namespaces, the admin API's faults, and a clean teardown. Needs root.
 *
 * Every test starts its own harness and ends with its own leak check (`withHarness`): a failure tears
 * its harness down and cannot leave a server, key or namespace to the next test.
 */
import assert from "node:assert/strict";
import { type Harness, type HarnessOptions, startHarness } from "../harness/harness.ts";
import { sandbox } from "./_cli.ts";
import { validateCloudConfig } from "../contract/cloud_init_schema.ts";
import { md5Fingerprint } from "../harness/fake_api.ts";
import { parseSelector } from "../harness/labels.ts";
import { peakRate, TokenBucket } from "../harness/rate_limit.ts";

interface Reply {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  json: any;
}

async function call(
  endpoint: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
}

async function run(cmd: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function until<T>(what: string, fn: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = await fn();
    if (value !== null) return value;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function cloudConfig(userKey: string, hostPriv: string, hostPub: string): string {
  const indented = hostPriv.trim().split("\n").map((line) => `    ${line}`).join("\n");
  return `#cloud-config
users:
  - name: crabbox
    shell: /bin/bash
    ssh_authorized_keys:
      - ${userKey.trim()}
ssh_keys:
  ed25519_private: |
${indented}
  ed25519_public: ${hostPub.trim()}
write_files:
  - path: /etc/ssh/sshd_config.d/99-crabbox.conf
    permissions: "0644"
    content: |
      Port 2222
      Port 22
  - path: /usr/local/bin/crabbox-ready
    permissions: "0755"
    content: |
      #!/bin/sh
      test -f /var/lib/crabbox/bootstrapped
runcmd:
  - [touch, /tmp/cbx-harness-runcmd-must-not-run]
`;
}

Deno.test("label selectors: the whole grammar, and 422 for anything else", () => {
  const labels = { crabbox: "true", lease: "cbx-1", state: "ready", "example.com/team": "a" };
  const cases: [string, boolean | null][] = [
    ["crabbox=true", true],
    ["crabbox==true", true],
    ["crabbox!=true", false],
    ["pool!=x", true],
    ["crabbox", true],
    ["!crabbox", false],
    ["!pool", true],
    ["state in (ready,busy)", true],
    ["state notin (ready, busy)", false],
    ["state in (busy)", false],
    ["crabbox=true,lease=cbx-1", true],
    ["crabbox=true, lease=cbx-2", false],
    ["example.com/team=a", true],
    ["", true],
    ["expires<5", null],
    ["crabbox=true,", null],
    ["state in (ready", null],
    ["a b", null],
  ];
  for (const [selector, expected] of cases) {
    const match = parseSelector(selector);
    assert.equal(match === null ? null : match(labels), expected, selector);
  }
});

Deno.test("rate-limit bucket refills per second; peak rate counts the busiest window", () => {
  const bucket = new TokenBucket({ limit: 2, refillPerSecond: 1 }, 0);
  assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, false]);
  assert.equal(bucket.resetAt(0, 10_000), 12);
  assert.equal(bucket.take(1000), true);
  assert.equal(bucket.remaining(5000), 2);
  assert.equal(peakRate([0, 100, 900, 1500, 1600, 1700, 1800]), 5);
  assert.equal(peakRate([]), 0);
});

interface Ctx {
  harness: Harness;
  endpoint: string;
  token: string;
  admin: Harness["admin"];
  api: (method: string, path: string, body?: unknown) => Promise<Reply>;
  tmp: string;
}

/**
 * A fresh harness for one test. After the test (passed or failed) it is stopped, and the test fails
 * unless it left no server, key or namespace and Prism saw exactly `violations` (paths).
 */
async function withHarness(
  fn: (ctx: Ctx) => Promise<void>,
  options: HarnessOptions & { violations?: string[] } = {},
): Promise<void> {
  const harness = await startHarness(options);
  const tmp = await Deno.makeTempDir({ prefix: "cbx-harness-test-" });
  const { endpoint, token, admin } = harness;
  const api = (method: string, path: string, body?: unknown) => call(endpoint, token, method, path, body);
  let failure: unknown = null;
  try {
    await fn({ harness, endpoint, token, admin, api, tmp });
    assert.deepEqual(harness.violations().map((v) => v.path), options.violations ?? []);
  } catch (error) {
    failure = error;
  }
  await Deno.remove(tmp, { recursive: true });
  const leaks = await harness.stop();
  if (failure) throw failure;
  assert.deepEqual(leaks, { servers: 0, sshKeys: 0, netns: [] }, "the test left something behind");
  assert.deepEqual(await harness.stop(), leaks, "stop is idempotent");
}

interface Keys {
  read(name: "user" | "host" | "root", ext?: ".pub" | ""): Promise<string>;
  userData: string;
  ssh(ip: string, user: string, key: string, port: number, command: string): string[];
}

/** A user key, a pinned host key and a root key in ctx.tmp, the cloud-config, and an ssh argv builder. */
async function makeKeys(tmp: string): Promise<Keys> {
  for (const name of ["user", "host", "root"]) {
    const made = await run([
      "ssh-keygen",
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      name,
      "-f",
      `${tmp}/${name}`,
    ]);
    assert.equal(made.code, 0, made.stderr);
  }
  const read = (name: string, ext = ".pub") => Deno.readTextFile(`${tmp}/${name}${ext}`);
  const userData = cloudConfig(await read("user"), await read("host", ""), await read("host"));
  assert.deepEqual(validateCloudConfig(userData), []);
  await Deno.writeTextFile(`${tmp}/known_hosts`, `cbx-harness-test ${(await read("host")).trim()}\n`);
  const ssh = (ip: string, user: string, key: string, port: number, command: string) => [
    "timeout",
    "20",
    "ssh",
    "-F",
    "none",
    "-i",
    `${tmp}/${key}`,
    "-p",
    String(port),
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${tmp}/known_hosts`,
    "-o",
    "HostKeyAlias=cbx-harness-test",
    "-o",
    "ConnectTimeout=2",
    "-o",
    "ServerAliveInterval=1",
    "-o",
    "ServerAliveCountMax=2",
    `${user}@${ip}`,
    command,
  ];
  return { read, userData, ssh };
}

interface Booted {
  id: number;
  ip: string;
  keyId: number;
  /** The 201 answer to POST /servers. */
  // deno-lint-ignore no-explicit-any
  created: any;
}

/** POST /ssh_keys + POST /servers with the cloud-config, then waits until crabbox can log in on 2222. */
async function bootServer(ctx: Ctx, keys: Keys): Promise<Booted> {
  const key = await ctx.api("POST", "/ssh_keys", {
    name: "harness-root",
    public_key: await keys.read("root"),
  });
  assert.equal(key.status, 201, JSON.stringify(key.json));
  const created = await ctx.api("POST", "/servers", {
    name: "cbx-harness-test",
    server_type: "cx23",
    image: "ubuntu-24.04",
    location: "nbg1",
    ssh_keys: ["harness-root"],
    labels: { crabbox: "true", lease: "cbx-harness" },
    user_data: keys.userData,
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.server.id;
  const ip = await until(
    "the IPv4",
    async () => (await ctx.api("GET", `/servers/${id}`)).json.server.public_net.ipv4?.ip ?? null,
  );
  await until("ssh as crabbox on 2222", async () => {
    const result = await run(keys.ssh(ip, "crabbox", "user", 2222, "crabbox-ready"));
    return result.code === 0 ? true : null;
  }, 15_000);
  return { id, ip, keyId: key.json.ssh_key.id, created: created.json };
}

/** DELETE of what bootServer made, through the API (the leak check then proves it is all gone). */
async function deleteBooted(ctx: Ctx, booted: Booted): Promise<void> {
  assert.equal((await ctx.api("DELETE", `/servers/${booted.id}`)).status, 200);
  const key = await fetch(`${ctx.endpoint}/ssh_keys/${booted.keyId}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${ctx.token}` },
  });
  await key.body?.cancel();
  assert.equal(key.status, 204);
}

Deno.test("catalogue endpoints answer within the schema", () =>
  withHarness(async ({ api }) => {
    for (
      const [path, key] of [
        ["/server_types", "server_types"],
        ["/locations", "locations"],
        ["/datacenters", "datacenters"],
        ["/images?architecture=x86", "images"],
      ]
    ) {
      const reply = await api("GET", path);
      assert.equal(reply.status, 200, path);
      assert.ok(reply.json[key].length > 0, path);
    }
    const types = (await api("GET", "/server_types?per_page=50")).json.server_types.map((
      s: { name: string },
    ) => s.name);
    for (const name of ["ccx13", "ccx63", "cpx22", "cx23", "cx53", "cax11"]) {
      assert.ok(types.includes(name), name);
    }
    const reply = await api("GET", "/locations");
    assert.deepEqual(reply.json.locations.map((l: { name: string }) => l.name), ["fsn1", "nbg1", "hel1"]);
    assert.ok(reply.headers.get("date"));
    assert.equal(reply.headers.get("ratelimit-limit"), "3600");
    assert.ok(reply.headers.get("x-correlation-id"));
  }));

Deno.test(
  "the server timeline starts once the server has booted: the 201 is t=0, the action and status turn together",
  () =>
    // 1 ms timelines: shorter than any boot, so a clock started before boot is caught every time.
    withHarness(async (ctx) => {
      const created = await ctx.api("POST", "/servers", {
        name: "timeline",
        server_type: "cx23",
        image: "ubuntu-24.04",
        labels: { crabbox: "true" },
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const { server, action, next_actions } = created.json;
      assert.deepEqual(
        [server.status, server.public_net.ipv4, action.status, action.progress, action.finished],
        ["initializing", null, "running", 0, null],
        "the answer to the create describes the server at boot",
      );
      assert.deepEqual([next_actions[0].command, next_actions[0].status], ["start_server", "running"]);
      const done = await until("the create action", async () => {
        const reply = await ctx.api("GET", `/actions?id=${action.id}&id=${next_actions[0].id}`);
        const statuses = reply.json.actions.map((a: { status: string }) => a.status);
        return statuses.every((s: string) => s === "success") ? reply.json.actions : null;
      });
      assert.deepEqual(done.map((a: { progress: number }) => a.progress), [100, 100]);
      const after = (await ctx.api("GET", `/servers/${server.id}`)).json.server;
      assert.equal(after.status, "running", "a succeeded create action means a running server");
      assert.match(after.public_net.ipv4?.ip ?? "", /^10\.77\.\d+\.2$/);
      assert.equal((await ctx.api("DELETE", `/servers/${server.id}`)).status, 200);
    }, { knobs: { tIp: 1, tRunning: 1 } }),
);

Deno.test("a created server gets an IP and real sshd; crabbox logs in on 2222 with the pinned key", () =>
  withHarness(async (ctx) => {
    const { admin } = ctx;
    const keys = await makeKeys(ctx.tmp);
    const booted = await bootServer(ctx, keys);
    const { created, id, ip } = booted;
    assert.equal(created.server.status, "initializing");
    // As in the official document's example: an initializing server already has its IPv4.
    assert.match(created.server.public_net.ipv4.ip, /^10\.77\.\d+\.2$/);
    assert.deepEqual(created.server.private_net, []);
    assert.equal(created.root_password, null);
    assert.equal(created.action.command, "create_server");
    assert.equal(created.action.status, "running");
    assert.equal(created.next_actions[0].command, "start_server");
    assert.match(ip, /^10\.77\.\d+\.2$/);
    const route = await run(["ip", "route", "get", ip]);
    assert.match(route.stdout, /dev cbx\w+h\d+/, "10.77.N.2 is reached through our veth only");
    await until("the create action", async () => {
      const reply = await ctx.api("GET", `/actions?id=${created.action.id}&sort=status&sort=id`);
      return reply.json.actions[0].status === "success" ? true : null;
    });
    assert.equal((await ctx.api("GET", `/servers/${id}`)).json.server.status, "running");

    const login = await run(keys.ssh(
      ip,
      "crabbox",
      "user",
      2222,
      "id -un; hostname; ls -a /work/crabbox; stat -c %u /work/crabbox; crabbox-ready && echo ready",
    ));
    assert.equal(login.stdout, "crabbox\ncbx-harness-test\n.\n..\n.crabbox\n1500\nready\n", login.stderr);
    const root = await run(keys.ssh(ip, "root", "root", 22, "id -un"));
    assert.equal(root.stdout, "root\n", root.stderr);
    const rootWithUserKey = await run(keys.ssh(ip, "root", "user", 22, "true"));
    assert.equal(
      rootWithUserKey.code,
      255,
      "API ssh_keys land in root's keys only, cloud-init's in crabbox's",
    );

    const state = await admin.state();
    const server = state.servers.find((s) => s.id === id)!;
    assert.equal(server.userData, keys.userData);
    assert.deepEqual(server.applied, { valid: true, problems: [], user: "crabbox", ports: [2222, 22] });
    await assert.rejects(Deno.stat("/tmp/cbx-harness-runcmd-must-not-run"), "runcmd is never executed");
    const ps = await admin.exec(id, ["ps", "-eo", "comm="]);
    const commands = [...new Set(ps.stdout.split("\n").filter(Boolean))].sort();
    assert.deepEqual(commands, ["ps", "sshd"], "the server sees only its own processes");
    assert.equal((await admin.exec(id, ["hostname"])).stdout, "cbx-harness-test\n");
    assert.ok((await admin.serverDir(id)).startsWith("/tmp/cbx-harness-"));
    await deleteBooted(ctx, booted);
  }));

Deno.test("pagination over 120 paper servers: 3 pages of 50, Link headers naming the client's endpoint", () =>
  withHarness(async ({ api, admin, endpoint, token }) => {
    const ids = await admin.paperServers(120, { kind: "paper" });
    assert.equal(ids.length, 120);
    const first = await api("GET", "/servers?label_selector=kind%3Dpaper&per_page=50");
    assert.equal(first.json.servers.length, 50);
    assert.deepEqual(first.json.meta.pagination, {
      page: 1,
      per_page: 50,
      previous_page: null,
      next_page: 2,
      last_page: 3,
      total_entries: 120,
    });
    const link = first.headers.get("link")!;
    const next = link.match(/<([^>]+)>; rel="next"/)![1];
    assert.ok(next.startsWith(`${endpoint}/servers?`), link);
    assert.match(link, /page=3>; rel="last"/);
    const second = await call(next, token, "GET", "");
    assert.equal(second.json.meta.pagination.page, 2);
    const third = await api("GET", "/servers?label_selector=kind%3Dpaper&per_page=50&page=3");
    assert.equal(third.json.servers.length, 20);
    assert.equal(third.json.meta.pagination.next_page, null);
    assert.doesNotMatch(third.headers.get("link")!, /rel="next"/);
    const seen = new Set(
      [...first.json.servers, ...second.json.servers, ...third.json.servers].map((s) => s.id),
    );
    assert.equal(seen.size, 120);
    assert.equal((await api("GET", "/servers?label_selector=kind%3Dpaper")).json.servers.length, 25);
    assert.equal(
      (await api("GET", "/servers?label_selector=kind%3Dpaper&per_page=100")).json.meta.pagination.per_page,
      50,
    );
    const desc = await api("GET", "/servers?label_selector=kind%3Dpaper&sort=id:desc&per_page=1");
    assert.equal(desc.json.servers[0].id, Math.max(...ids));
    for (const id of ids) assert.equal((await api("DELETE", `/servers/${id}`)).status, 200);
  }));

Deno.test("label selectors over the API; PUT replaces the label map", () =>
  withHarness(async ({ api, admin }) => {
    const [a, b] = await admin.paperServers(2, [{ crabbox: "true", state: "ready" }, {
      crabbox: "true",
      state: "busy",
      pool: "p1",
    }]);
    const names = async (selector: string) => {
      const reply = await api("GET", `/servers?label_selector=${encodeURIComponent(selector)}`);
      return reply.status === 200
        ? reply.json.servers.map((s: { id: number }) => s.id).filter((id: number) => id === a || id === b)
        : reply.json.error.code;
    };
    assert.deepEqual(await names("crabbox=true,state=ready"), [a]);
    assert.deepEqual(await names("state in (ready,busy)"), [a, b]);
    assert.deepEqual(await names("state notin (busy)"), [a]);
    assert.deepEqual(await names("pool"), [b]);
    assert.deepEqual(await names("!pool"), [a]);
    assert.deepEqual(await names("pool!=p1"), [a]);
    assert.equal(await names("expires<5"), "invalid_input");

    const put = await api("PUT", `/servers/${a}`, { labels: { only: "this" } });
    assert.equal(put.status, 200);
    assert.deepEqual((await api("GET", `/servers/${a}`)).json.server.labels, { only: "this" });
    const bad = await api("PUT", `/servers/${a}`, { labels: { when: "2026-11-23T00:00:00Z" } });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.error.code, "invalid_input");
    for (const id of [a, b]) assert.equal((await api("DELETE", `/servers/${id}`)).status, 200);
  }));

Deno.test("scripted faults: 429, 5xx, rate-limit bucket, capacity, quota, name taken, clock skew, 401", () =>
  withHarness(async ({ api, admin, endpoint, token }) => {
    const [paper] = await admin.paperServers(1, { crabbox: "true" });
    const reset = String(Math.floor(Date.now() / 1000) + 7);
    await admin.fault({
      method: "GET",
      path: "/servers",
      status: 429,
      code: "rate_limit_exceeded",
      message: "slow down",
      headers: { "RateLimit-Reset": reset },
    });
    const limited = await api("GET", "/servers");
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error.code, "rate_limit_exceeded");
    assert.equal(limited.headers.get("ratelimit-remaining"), "0");
    assert.equal(limited.headers.get("ratelimit-reset"), reset);
    assert.equal((await api("GET", "/servers")).status, 200, "a fault applies count times only");

    await admin.fault({
      method: "GET",
      path: "/servers/\\d+",
      count: 2,
      status: 503,
      code: "unavailable",
      message: "maintenance",
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api("GET", `/servers/${paper}`)).status);
    assert.deepEqual(statuses, [503, 503, 200]);

    await admin.rateLimit({ limit: 2, refillPerSecond: 0 });
    const bucket = [];
    for (let i = 0; i < 3; i++) bucket.push((await api("GET", "/locations")).status);
    assert.deepEqual(bucket, [200, 200, 429]);
    await admin.rateLimit({ limit: 3600, refillPerSecond: 1 });

    await admin.capacity([
      {
        serverType: "ccx63",
        location: "fsn1",
        status: 412,
        code: "resource_unavailable",
        message: "error during placement",
      },
      {
        serverType: "ccx53",
        status: 403,
        code: "resource_limit_exceeded",
        message: "dedicated core limit exceeded",
        details: { limits: [{ name: "dedicated_core_limit" }] },
      },
    ]);
    const create = (type: string, location: string, name = `cap-${type}`) =>
      api("POST", "/servers", { name, server_type: type, image: "ubuntu-24.04", location });
    const placement = await create("ccx63", "fsn1");
    assert.deepEqual([placement.status, placement.json.error.code], [412, "resource_unavailable"]);
    const cores = await create("ccx53", "hel1");
    assert.deepEqual([cores.status, cores.json.error.details], [403, {
      limits: [{ name: "dedicated_core_limit" }],
    }]);
    await admin.capacity([]);
    await admin.serverLimit(0);
    const quota = await create("cx23", "fsn1");
    assert.deepEqual([quota.status, quota.json.error.code, quota.json.error.message], [
      403,
      "resource_limit_exceeded",
      "server limit exceeded",
    ]);
    await admin.serverLimit(null);

    const taken = await create("cx23", "fsn1", `paper-${paper}`);
    assert.deepEqual([taken.status, taken.json.error.code, taken.json.error.message], [
      409,
      "uniqueness_error",
      "server name is already used",
    ]);

    const clock = await admin.clock({ skewMs: 3 * 3600_000 });
    assert.equal(clock.skewMs, 3 * 3600_000);
    const skewed = await api("GET", "/locations");
    const skew = Date.parse(skewed.headers.get("date")!) - Date.now();
    assert.ok(Math.abs(skew - 3 * 3600_000) < 5000, `Date is skewed by ${skew} ms`);
    await admin.clock({ skewMs: 0 });

    const denied = await call(endpoint, "wrong-token", "GET", "/servers");
    assert.deepEqual([denied.status, denied.json.error.code], [401, "unauthorized"]);
    const log = await admin.log();
    assert.ok(log.some((r) => r.status === 401 && r.auth === "invalid"));
    assert.ok(!JSON.stringify(log).includes(token), "the request log never holds the token");
    assert.ok((await admin.peakRequestRate()) >= 2);
    assert.equal((await api("DELETE", `/servers/${paper}`)).status, 200);
  }));

/** curl, not fetch: fetch silently re-sends a request whose pooled connection closed (ISSUE 8 #13). */
function curl(harness: Harness, path: string, ...args: string[]) {
  return run(
    ["curl", "-sS", "-m", "10", "-H", "@-", ...args, `${harness.directEndpoint}${path}`],
    `authorization: Bearer ${harness.token}\n`,
  );
}

Deno.test("off-contract faults on the direct endpoint: HTML body, dropped connection, ambiguous create", () =>
  withHarness(async ({ harness, admin, token }) => {
    const direct = (method: string, path: string, body?: unknown) =>
      call(harness.directEndpoint, token, method, path, body);
    await admin.fault({ method: "GET", path: "/servers", status: 502, html: true });
    const html = await fetch(`${harness.directEndpoint}/servers`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(html.status, 502);
    assert.match(html.headers.get("content-type")!, /text\/html/);
    assert.match(await html.text(), /<html>/);

    await admin.fault({ method: "GET", path: "/locations", drop: true });
    const dropped = await curl(harness, "/locations");
    assert.equal(dropped.code, 52, `empty reply expected: ${dropped.stderr}`);
    assert.equal(
      (await direct("GET", "/v1/locations")).status,
      200,
      "the next request is answered (also under /v1)",
    );

    await admin.fault({ method: "POST", path: "/servers", afterCreate: true, drop: true });
    const body = { name: "ambiguous", server_type: "cx23", image: "ubuntu-24.04", labels: { lease: "amb" } };
    const lost = await curl(
      harness,
      "/servers",
      "-H",
      "content-type: application/json",
      "-d",
      JSON.stringify(body),
    );
    assert.equal(lost.code, 52, `empty reply expected: ${lost.stderr}`);
    const found = await direct("GET", "/servers?label_selector=lease%3Damb");
    assert.equal(found.json.servers.length, 1, "the server exists although the answer was lost");
    assert.equal((await direct("DELETE", `/servers/${found.json.servers[0].id}`)).status, 200);
  }, { prism: false }));

Deno.test("crabbox sends a create whose connection drops once, and adopts the server it made", () =>
  withHarness(async ({ harness }) => {
    // Direct endpoint: Prism would answer a dropped connection with its own 5xx.
    const box = await sandbox(harness, { HCLOUD_ENDPOINT: harness.directEndpoint });
    try {
      await harness.admin.fault({ method: "POST", path: "/servers", afterCreate: true, drop: true });
      const result = await box.crabbox(["run", "--class", "tiny", "--no-sync", "--", "echo", "adopted"]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "adopted\n");
      const posts = (await harness.admin.log()).filter((r) => r.method === "POST" && r.path === "/servers");
      assert.deepEqual(posts.map((r) => r.status), [0], "one POST, dropped after create; never re-sent");
    } finally {
      await box.cleanup();
    }
  }, { prism: false }));

Deno.test("ssh keys: MD5 fingerprint like ssh-keygen, 409 on name or key reuse, DELETE 204", () =>
  withHarness(async ({ api, endpoint, token, tmp }) => {
    const keys = await makeKeys(tmp);
    const pub = await keys.read("user");
    const created = await api("POST", "/ssh_keys", {
      name: "harness-user",
      public_key: pub,
      labels: { crabbox: "true" },
    });
    assert.equal(created.status, 201);
    const keygen = await run(["ssh-keygen", "-E", "md5", "-lf", `${tmp}/user.pub`]);
    assert.equal(`MD5:${created.json.ssh_key.fingerprint}`, keygen.stdout.split(" ")[1]);
    assert.equal(md5Fingerprint(pub), created.json.ssh_key.fingerprint);
    const other = await api("POST", "/ssh_keys", {
      name: "harness-root",
      public_key: await keys.read("root"),
    });
    assert.equal(other.status, 201);
    const sameName = await api("POST", "/ssh_keys", {
      name: "harness-user",
      public_key: await keys.read("host"),
    });
    assert.deepEqual([sameName.status, sameName.json.error.code], [409, "uniqueness_error"]);
    const sameKey = await api("POST", "/ssh_keys", { name: "other", public_key: pub });
    assert.deepEqual([sameKey.status, sameKey.json.error.message], [
      409,
      "SSH key with the same fingerprint already exists",
    ]);
    const byPrint = await api(
      "GET",
      `/ssh_keys?fingerprint=${encodeURIComponent(created.json.ssh_key.fingerprint)}`,
    );
    assert.deepEqual(byPrint.json.ssh_keys.map((k: { name: string }) => k.name), ["harness-user"]);
    assert.equal((await api("GET", "/ssh_keys?label_selector=crabbox%3Dtrue")).json.ssh_keys.length, 1);
    for (const k of (await api("GET", "/ssh_keys")).json.ssh_keys) {
      const gone = await fetch(`${endpoint}/ssh_keys/${k.id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(gone.status, 204);
      await gone.body?.cancel();
    }
    assert.equal((await api("GET", `/ssh_keys/${created.json.ssh_key.id}`)).status, 404);
  }));

/** Starts `echo started; sleep 30` over ssh and resolves once "started" arrived. */
async function startSleeper(keys: Keys, ip: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("timeout", {
    args: keys.ssh(ip, "crabbox", "user", 2222, "echo started; sleep 30").slice(1),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /started/);
  reader.releaseLock();
  return child;
}

Deno.test("black-hole and dropped ssh connections", () =>
  withHarness(async (ctx) => {
    const { admin } = ctx;
    const keys = await makeKeys(ctx.tmp);
    const booted = await bootServer(ctx, keys);
    const { id, ip } = booted;
    await admin.blackhole(id);
    const started = Date.now();
    const silent = await run(keys.ssh(ip, "crabbox", "user", 2222, "true"));
    assert.equal(silent.code, 255);
    assert.match(silent.stderr, /timed out/);
    assert.ok(Date.now() - started >= 1500, "packets vanish: the connect times out instead of being refused");
    await admin.heal(id);
    assert.equal((await run(keys.ssh(ip, "crabbox", "user", 2222, "true"))).code, 0);

    const child = await startSleeper(keys, ip);
    assert.ok((await admin.dropConnections(id)) >= 1);
    const dropped = await child.output();
    assert.equal(dropped.code, 255);
    const orphan = await admin.exec(id, ["pgrep", "-x", "sleep"]);
    assert.equal(orphan.code, 0, "the remote command survives a dropped connection");
    await deleteBooted(ctx, booted);
  }));

Deno.test("DELETE powers the server off: its ssh session ends, the namespace and processes are gone", () =>
  withHarness(async (ctx) => {
    const { admin, api } = ctx;
    const keys = await makeKeys(ctx.tmp);
    const booted = await bootServer(ctx, keys);
    const server = (await admin.state()).servers.find((s) => s.id === booted.id)!;
    const child = await startSleeper(keys, booted.ip);
    const deleted = await api("DELETE", `/servers/${booted.id}`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.json.action.command, "delete_server");
    const ended = await child.output();
    assert.equal(ended.code, 255, "ssh fails once the server is off");
    assert.equal((await api("GET", `/servers/${booted.id}`)).status, 404);
    const netns = await run(["ip", "netns", "list"]);
    assert.ok(!netns.stdout.includes(server.netns!), "the network namespace is gone");
    await until(
      "the namespace's processes to be reaped",
      async () => (await admin.leaks()).netns.length ? null : true,
    );
    assert.equal((await api("DELETE", `/ssh_keys/${booted.keyId}`)).status, 204);
  }));

Deno.test("a request that breaks the schema is caught by Prism and recorded", () =>
  withHarness(async ({ api, admin, harness }) => {
    const invalid = await api("POST", "/servers", { name: 5, image: "ubuntu-24.04" });
    assert.equal(invalid.status, 422);
    const violations = harness.violations();
    assert.equal(violations.length, 1);
    assert.equal(violations[0].path, "/servers");
    assert.deepEqual(await admin.violations(), violations);
  }, { violations: ["/servers"] }));

/**
 * The Hetzner client against scripted exchanges (hcloud-go mockutil style): the exact calls in order,
 * canned answers; every request body and canned response validated against Hetzner's document.
 */
import assert from "node:assert/strict";
import { createHetznerClient, resolveEndpoint } from "../../providers/hetzner/client.ts";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import { asCrabboxError } from "../../core/errors.ts";
import { validateRequestBody, validateResponseBody } from "../contract/ajv.ts";
import { ManualClock } from "../cmd/_fakes.ts";

const TOKEN = "CanaryToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS";

interface Exchange {
  method: string;
  path: string;
  template: string;
  body?: unknown;
  status: number;
  response?: unknown;
  headers?: Record<string, string>;
  raw?: string;
}

function scripted(exchanges: Exchange[]) {
  const queue = [...exchanges];
  const fetchFn = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const expected = queue.shift();
    assert.ok(expected, `unexpected call ${init?.method} ${url.pathname}${url.search}`);
    assert.equal(`${init?.method} ${url.pathname}${url.search}`, `${expected.method} ${expected.path}`);
    assert.equal((init?.headers as Record<string, string>).Authorization, `Bearer ${TOKEN}`);
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    if (expected.body !== undefined) assert.deepEqual(body, expected.body);
    if (body !== undefined) {
      assert.deepEqual(validateRequestBody(expected.method, expected.template, body), []);
    }
    if (expected.response !== undefined) {
      assert.deepEqual(
        validateResponseBody(expected.method, expected.template, expected.status, expected.response),
        [],
      );
    }
    const text = expected.raw ?? (expected.response === undefined ? "" : JSON.stringify(expected.response));
    return Promise.resolve(
      new Response(expected.status === 204 ? null : text, {
        status: expected.status,
        headers: { "content-type": expected.raw ? "text/html" : "application/json", ...expected.headers },
      }),
    );
  };
  return { fetchFn, remaining: () => queue.length };
}

function serverJson(id: number, labels: Record<string, string>, ip: string | null = "203.0.113.7") {
  const location = {
    id: 1,
    name: "fsn1",
    description: "Falkenstein DC Park 1",
    country: "DE",
    city: "Falkenstein",
    latitude: 50.47,
    longitude: 12.37,
    network_zone: "eu-central",
  };
  return {
    id,
    name: `crabbox-x-${id}`,
    status: "running",
    created: "2026-05-01T12:00:00+00:00",
    public_net: {
      ipv4: ip ? { ip, blocked: false, dns_ptr: "x.example" } : null,
      ipv6: null,
      floating_ips: [],
      firewalls: [],
    },
    private_net: [],
    server_type: {
      id: 1,
      name: "ccx13",
      description: "CCX13",
      cores: 2,
      memory: 8,
      disk: 80,
      deprecated: false,
      prices: [],
      storage_type: "local",
      cpu_type: "dedicated",
      architecture: "x86",
      locations: [{ id: 1, name: "fsn1", deprecation: null, recommended: true, available: true }],
    },
    location,
    datacenter: {
      id: 1,
      name: "fsn1-dc14",
      description: "x",
      location,
      server_types: { supported: [], available: [], available_for_migration: [] },
    },
    image: null,
    iso: null,
    rescue_enabled: false,
    locked: false,
    backup_window: null,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    included_traffic: 0,
    protection: { delete: false, rebuild: false },
    labels,
    volumes: [],
    load_balancers: [],
    primary_disk_size: 80,
    placement_group: null,
  };
}

const page = (p: number, last: number, total: number) => ({
  pagination: {
    page: p,
    per_page: 50,
    previous_page: p > 1 ? p - 1 : null,
    next_page: p < last ? p + 1 : null,
    last_page: last,
    total_entries: total,
  },
});

function client(fetchFn: typeof fetch, clock = new ManualClock(), notes: string[] = []) {
  return createHetznerClient({
    token: TOKEN,
    endpoint: "https://api.example.test/v1",
    clock,
    random: () => 0.5,
    fetch: fetchFn,
    notify: (m) => notes.push(m),
    requestTimeoutMs: 50,
  });
}

Deno.test("lists follow pagination to the end", async () => {
  const ids = Array.from({ length: 120 }, (_, i) => i + 1);
  const chunk = (p: number) =>
    ids.slice((p - 1) * 50, p * 50).map((id) => serverJson(id, { crabbox: "true" }));
  const { fetchFn, remaining } = scripted([1, 2, 3].map((p) => ({
    method: "GET",
    template: "/servers",
    path: `/v1/servers?label_selector=crabbox%3Dtrue&page=${p}&per_page=50`,
    status: 200,
    response: { servers: chunk(p), meta: page(p, 3, 120) },
  })));
  const servers = await client(fetchFn as typeof fetch).listServers({ labelSelector: "crabbox=true" });
  assert.equal(servers.length, 120);
  assert.equal(remaining(), 0);
});

Deno.test("idempotent calls retry 503 with jittered backoff; POST is never retried blindly", async () => {
  const clock = new ManualClock();
  const { fetchFn, remaining } = scripted([
    {
      method: "GET",
      template: "/servers/{id}",
      path: "/v1/servers/7",
      status: 503,
      response: { error: { code: "unavailable", message: "down", details: null } },
    },
    {
      method: "GET",
      template: "/servers/{id}",
      path: "/v1/servers/7",
      status: 200,
      response: { server: serverJson(7, {}) },
    },
  ]);
  const server = await client(fetchFn as typeof fetch, clock).getServer(7);
  assert.equal(server?.id, 7);
  assert.deepEqual(clock.sleeps, [1000]);
  assert.equal(remaining(), 0);

  const labels = { crabbox: "true", lease: "cbx_0123456789ab" };
  const createBody = {
    name: "crabbox-x",
    server_type: "ccx13",
    image: "ubuntu-24.04",
    location: "fsn1",
    start_after_create: true,
    public_net: { enable_ipv4: true, enable_ipv6: false },
    ssh_keys: ["k"],
    user_data: "#cloud-config\n",
    labels,
  };
  const lookup = {
    method: "GET",
    template: "/servers",
    path: "/v1/servers?label_selector=lease%3Dcbx_0123456789ab&page=1&per_page=50",
    status: 200,
    response: { servers: [], meta: page(1, 1, 0) },
  };
  const created = scripted([
    {
      method: "POST",
      template: "/servers",
      path: "/v1/servers",
      body: createBody,
      status: 503,
      response: { error: { code: "unavailable", message: "down", details: null } },
    },
    lookup,
    lookup,
    {
      method: "POST",
      template: "/servers",
      path: "/v1/servers",
      body: createBody,
      status: 201,
      response: {
        server: serverJson(9, labels, null),
        action: {
          id: 1,
          command: "create_server",
          status: "running",
          progress: 0,
          started: "2026-05-01T12:00:00+00:00",
          finished: null,
          resources: [],
          error: null,
        },
        next_actions: [],
        root_password: null,
      },
    },
  ]);
  const clock2 = new ManualClock();
  const result = await client(created.fetchFn as typeof fetch, clock2).createServer({
    name: "crabbox-x",
    serverType: "ccx13",
    image: "ubuntu-24.04",
    location: "fsn1",
    sshKeys: ["k"],
    userData: "#cloud-config\n",
    labels,
  });
  assert.equal(result.server.id, 9);
  assert.equal(result.server.ipv4, null);
  assert.deepEqual(clock2.sleeps, [5000]);
  assert.equal(created.remaining(), 0);
});

Deno.test("429 waits per Retry-After and then gives up with exit 8", async () => {
  const clock = new ManualClock();
  const limited = {
    method: "GET",
    template: "/servers/{id}",
    path: "/v1/servers/1",
    status: 429,
    headers: { "Retry-After": "3" },
    response: { error: { code: "rate_limit_exceeded", message: "limit", details: null } },
  };
  const notes: string[] = [];
  const { fetchFn } = scripted([limited, limited, limited, limited, limited]);
  const error = await client(fetchFn as typeof fetch, clock, notes).getServer(1).catch((e) => e);
  assert.ok(error instanceof HetznerApiError);
  assert.match(error.message, /rate limited by Hetzner/);
  assert.equal(asCrabboxError(error).exitCode, 8);
  assert.deepEqual(clock.sleeps, [3500, 3500, 3500, 3500]);
  assert.equal(notes[0], "hetzner rate limited; retrying in 4s");
});

Deno.test("404 is null or gone; 401 is exit 3; HTML is bad_response", async () => {
  const notFound = { error: { code: "not_found", message: "not found", details: null } };
  const { fetchFn } = scripted([
    { method: "GET", template: "/servers/{id}", path: "/v1/servers/1", status: 404, response: notFound },
    { method: "DELETE", template: "/servers/{id}", path: "/v1/servers/1", status: 404, response: notFound },
    {
      method: "GET",
      template: "/servers/{id}",
      path: "/v1/servers/2",
      status: 401,
      response: { error: { code: "unauthorized", message: "unable to authenticate", details: null } },
    },
    {
      method: "DELETE",
      template: "/ssh_keys/{id}",
      path: "/v1/ssh_keys/3",
      status: 400,
      raw: "<html>oops</html>",
    },
  ]);
  const api = client(fetchFn as typeof fetch);
  assert.equal(await api.getServer(1), null);
  assert.equal(await api.deleteServer(1), "gone");
  const auth = await api.getServer(2).catch((e) => e);
  assert.equal(asCrabboxError(auth).exitCode, 3);
  const html = await api.deleteSshKey(3).catch((e) => e);
  assert.equal(html.code, "bad_response");
  assert.equal(html.status, 400);
});

Deno.test("the Date header sets Hetzner time", async () => {
  const clock = new ManualClock(Date.parse("2026-05-01T11:00:00Z"));
  const { fetchFn } = scripted([{
    method: "GET",
    template: "/servers/{id}",
    path: "/v1/servers/1",
    status: 200,
    headers: { Date: "Fri, 01 May 2026 12:00:00 GMT" },
    response: { server: serverJson(1, {}) },
  }]);
  const api = client(fetchFn as typeof fetch, clock);
  await api.getServer(1);
  assert.equal(api.now(), Date.parse("2026-05-01T12:00:00Z"));
});

Deno.test("the token never appears in errors: timeout, refused, 401, 5xx, invalid JSON", async () => {
  const hang = (_: unknown, init?: RequestInit) =>
    new Promise<Response>((_, reject) =>
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))
    );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const failures: unknown[] = [];
  const clock = new ManualClock();
  failures.push(await client(hang as typeof fetch, clock).getServer(1).catch((e) => e));
  failures.push(
    await createHetznerClient({
      token: TOKEN,
      endpoint: `http://127.0.0.1:${closedPort}`,
      clock,
      random: () => 0,
    })
      .getServer(1).catch((e) => e),
  );
  const answers = (status: number, raw: string) => () => Promise.resolve(new Response(raw, { status }));
  failures.push(
    await client(
      answers(401, `{"error":{"code":"unauthorized","message":"Bearer ${TOKEN} rejected"}}`) as typeof fetch,
      clock,
    ).getServer(1).catch((e) => e),
  );
  failures.push(
    await client(answers(500, "{not json") as typeof fetch, clock).deleteServer(1).catch((e) => e),
  );
  assert.equal(failures.length, 4);
  for (const failure of failures) {
    const rendered = asCrabboxError(failure);
    const texts = [
      String(failure),
      JSON.stringify(failure),
      Deno.inspect(failure, { depth: 10 }),
      rendered.message,
      rendered.hint ?? "",
    ];
    for (const text of texts) assert.ok(!text.includes(TOKEN), `token leaked: ${text.slice(0, 200)}`);
  }
  assert.match(String(failures[1]), /connection refused/);
  assert.match(String(failures[0]), /timeout/);
  const api = client(hang as typeof fetch);
  assert.ok(!JSON.stringify(api).includes(TOKEN));
  assert.ok(!Deno.inspect(api, { depth: 10 }).includes(TOKEN));
});

Deno.test("endpoint rule: https, or http to loopback only", () => {
  assert.equal(resolveEndpoint(undefined), "https://api.hetzner.cloud/v1");
  assert.equal(resolveEndpoint("https://mirror.example/v1/"), "https://mirror.example/v1");
  assert.equal(resolveEndpoint("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  assert.equal(resolveEndpoint("http://localhost:1"), "http://localhost:1");
  for (const bad of ["http://api.hetzner.cloud/v1", "ftp://x", "not a url", "https://user:pw@x"]) {
    assert.throws(() => resolveEndpoint(bad), (e: { exitCode: number }) => e.exitCode === 2, bad);
  }
});

/** Every list walks all pages (SPEC §6, §16 #28) and decodes leniently (§16 #27). */
import assert from "node:assert/strict";
import { asCrabboxError } from "../../core/errors.ts";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import { nextPage, nextPageFromLink, pageProblem, pageUrl } from "../../providers/hetzner/pagination.ts";
import {
  clientFor,
  type Exchange,
  locationJson,
  meta,
  serverJson,
  serverTypeJson,
  sshKeyJson,
} from "./hetzner_mock.ts";

const crabboxPage = (page: number): Exchange["path"] =>
  `/servers?label_selector=crabbox%3Dtrue&page=${page}&per_page=50`;

function servers(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => serverJson(from + i, { crabbox: "true" }));
}

Deno.test("120 servers come back from 3 pages of 50 by meta.pagination.next_page", async () => {
  const { api, script } = clientFor([
    { method: "GET", path: crabboxPage(1), response: { servers: servers(1, 50), meta: meta(1, 3, 120) } },
    { method: "GET", path: crabboxPage(2), response: { servers: servers(51, 50), meta: meta(2, 3, 120) } },
    { method: "GET", path: crabboxPage(3), response: { servers: servers(101, 20), meta: meta(3, 3, 120) } },
  ]);
  const result = await api.listServers({ labelSelector: "crabbox=true" });
  assert.deepEqual(result.map((s) => s.id), Array.from({ length: 120 }, (_, i) => i + 1));
  script.done();
});

Deno.test("without meta the Link rel=next header leads to the next page", async () => {
  const link = (page: number) =>
    `<https://api.example.test/v1/servers?label_selector=crabbox%3Dtrue&page=${page}&per_page=50>; rel="next", ` +
    `<https://api.example.test/v1/servers?page=2&per_page=50>; rel="last"`;
  const { api, script } = clientFor([
    {
      method: "GET",
      path: crabboxPage(1),
      response: { servers: servers(1, 2) },
      headers: { link: link(2) },
      offContract: ["/ must have required property 'meta'"],
    },
    {
      method: "GET",
      path: crabboxPage(2),
      response: { servers: servers(3, 1) },
      headers: { link: `<https://api.example.test/v1/servers?page=1&per_page=50>; rel="prev"` },
      offContract: ["/ must have required property 'meta'"],
    },
  ]);
  const result = await api.listServers({ labelSelector: "crabbox=true" });
  assert.deepEqual(result.map((s) => s.id), [1, 2, 3]);
  script.done();
});

Deno.test("a page that comes back twice stops the walk with a provider error", async () => {
  const looping = { ...meta(2, 3, 120), pagination: { ...meta(2, 3, 120).pagination, next_page: 1 } };
  const { api, script } = clientFor([
    { method: "GET", path: crabboxPage(1), response: { servers: servers(1, 50), meta: meta(1, 3, 120) } },
    { method: "GET", path: crabboxPage(2), response: { servers: servers(51, 50), meta: looping } },
  ]);
  const error = await api.listServers({ labelSelector: "crabbox=true" }).catch((e) => e);
  assert.ok(error instanceof HetznerApiError);
  assert.equal(error.message, "hetzner GET /servers: 200 bad_response: page 1 was returned twice");
  assert.equal(asCrabboxError(error).exitCode, 8);
  script.done();
});

Deno.test("at most 200 pages are read", async () => {
  const endless: Exchange[] = Array.from({ length: 200 }, (_, i) => ({
    method: "GET",
    path: `/locations?page=${i + 1}&per_page=50`,
    response: { locations: [locationJson("fsn1")], meta: meta(i + 1, 1000, 1000) },
  }));
  const { api, script } = clientFor(endless);
  const error = await api.listLocations().catch((e) => e);
  assert.ok(error instanceof HetznerApiError);
  assert.match(error.message, /more than 200 pages/);
  script.done();
});

Deno.test("an item that does not decode is skipped with a warning; null IPv4 is fine", async () => {
  const broken = { ...serverJson(2, { crabbox: "true" }), created: "yesterday-ish" };
  const { api, script, notes } = clientFor([{
    method: "GET",
    path: crabboxPage(1),
    response: {
      servers: [serverJson(1, { crabbox: "true" }, { ip: null }), broken, { id: "x" }],
      meta: meta(1, 1, 3),
    },
    offContract: [
      '/servers/1/created must match format "date-time"',
      "/servers/2 must have required property 'name'",
      "/servers/2 must have required property 'status'",
      "/servers/2 must have required property 'created'",
      "/servers/2 must have required property 'public_net'",
      "/servers/2 must have required property 'private_net'",
      "/servers/2 must have required property 'server_type'",
      "/servers/2 must have required property 'location'",
      "/servers/2 must have required property 'datacenter'",
      "/servers/2 must have required property 'image'",
      "/servers/2 must have required property 'iso'",
      "/servers/2 must have required property 'rescue_enabled'",
      "/servers/2 must have required property 'locked'",
      "/servers/2 must have required property 'backup_window'",
      "/servers/2 must have required property 'outgoing_traffic'",
      "/servers/2 must have required property 'ingoing_traffic'",
      "/servers/2 must have required property 'included_traffic'",
      "/servers/2 must have required property 'protection'",
      "/servers/2 must have required property 'labels'",
      "/servers/2 must have required property 'primary_disk_size'",
      "/servers/2/id must be integer",
    ],
  }]);
  const result = await api.listServers({ labelSelector: "crabbox=true" });
  assert.deepEqual(result, [{
    id: 1,
    name: "crabbox-box-1",
    status: "running",
    createdMs: Date.parse("2026-05-01T12:00:00Z"),
    ipv4: null,
    labels: { crabbox: "true" },
    serverType: "ccx13",
    location: "fsn1",
  }]);
  assert.deepEqual(notes, [
    "warning: skipped an unreadable item in GET /servers (id 2)",
    "warning: skipped an unreadable item in GET /servers",
  ]);
  script.done();
});

Deno.test("ssh keys, server types and locations paginate too, with their filters", async () => {
  const { api, script } = clientFor([
    {
      method: "GET",
      path: "/ssh_keys?name=crabbox-cbx-0123456789ab&page=1&per_page=50",
      response: {
        ssh_keys: [
          sshKeyJson(5, "crabbox-cbx-0123456789ab", "ssh-ed25519 AAAA crabbox", { crabbox: "true" }),
        ],
        meta: meta(1, 1, 1),
      },
    },
    {
      method: "GET",
      path: "/ssh_keys?label_selector=crabbox%3Dtrue&page=1&per_page=50",
      response: { ssh_keys: [], meta: meta(1, 1, 0) },
    },
    {
      method: "GET",
      path: "/server_types?page=1&per_page=50",
      response: {
        server_types: [serverTypeJson("ccx13"), serverTypeJson("cax11", "arm")],
        meta: meta(1, 1, 2),
      },
    },
    {
      method: "GET",
      path: "/locations?page=1&per_page=50",
      response: { locations: [locationJson("fsn1"), locationJson("hel1")], meta: meta(1, 1, 2) },
    },
    {
      method: "GET",
      path: "/servers?name=crabbox-violet-prawn-40675f31&page=1&per_page=50",
      response: { servers: [], meta: meta(1, 1, 0) },
    },
  ]);
  const [key] = await api.listSshKeys({ name: "crabbox-cbx-0123456789ab" });
  assert.equal(key.publicKey, "ssh-ed25519 AAAA crabbox");
  assert.equal(key.labels.crabbox, "true");
  assert.deepEqual(await api.listSshKeys({ labelSelector: "crabbox=true" }), []);
  assert.deepEqual(await api.listServerTypes(), [
    { name: "ccx13", deprecated: false, architecture: "x86", prices: [] },
    { name: "cax11", deprecated: false, architecture: "arm", prices: [] },
  ]);
  assert.deepEqual((await api.listLocations()).map((l) => l.name), ["fsn1", "hel1"]);
  assert.deepEqual(await api.listServers({ name: "crabbox-violet-prawn-40675f31" }), []);
  script.done();
});

Deno.test("pagination rules", async (t) => {
  await t.step("next page: meta wins, null ends, else Link", () => {
    const link = '<https://x/v1/servers?page=4&per_page=50>; rel="next"';
    const cases: [unknown, string | null, number | null][] = [
      [{ meta: { pagination: { next_page: 2 } } }, link, 2],
      [{ meta: { pagination: { next_page: null } } }, link, null],
      [{ servers: [] }, link, 4],
      [{ meta: { pagination: { next_page: "2" } } }, link, 4],
      [{ servers: [] }, null, null],
      [null, '<https://x/v1/servers?page=2>; rel="prev"', null],
    ];
    for (const [body, header, expected] of cases) assert.equal(nextPage(body, header), expected);
  });
  await t.step("Link parsing", () => {
    assert.equal(nextPageFromLink('<https://x/a?page=9>; rel="last", <https://x/a?page=3>; rel="next"'), 3);
    assert.equal(nextPageFromLink("<https://x/a?page=3>; rel=next"), 3);
    assert.equal(nextPageFromLink('<https://x/a?page=0>; rel="next"'), null);
    assert.equal(nextPageFromLink('<https://x/a>; rel="next"'), null);
  });
  await t.step("urls and limits", () => {
    assert.equal(
      pageUrl("/servers", { label_selector: "a=b,c!=d", name: undefined }, 2),
      "/servers?label_selector=a%3Db%2Cc%21%3Dd&page=2&per_page=50",
    );
    assert.equal(pageProblem(3, new Set([1, 2])), null);
    assert.equal(pageProblem(2, new Set([1, 2])), "page 2 was returned twice");
    assert.equal(
      pageProblem(201, new Set(Array.from({ length: 200 }, (_, i) => i + 1))),
      "more than 200 pages",
    );
  });
});

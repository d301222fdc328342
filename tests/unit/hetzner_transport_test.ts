/**
 * The transport under the Hetzner client, as main.ts wires it (buildRealDeps), against a raw HTTP/1.1
 * server on 127.0.0.1 that reads a create and closes the connection without answering (ISSUE 8 #13).
 * Deno's fetch re-sends a request whose *pooled* connection closed, so a create must never go over one.
 */
import assert from "node:assert/strict";
import { buildRealDeps } from "../../core/real_deps.ts";
import { Redactor } from "../../core/redact.ts";
import type { HetznerApi } from "../../providers/hetzner/port.ts";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import { clientFor, meta, serverJson, serverTypeJson, sshKeyJson, TOKEN } from "./hetzner_mock.ts";

type Answer = { status: number; body: unknown } | "drop";

/** Keep-alive HTTP/1.1 over raw TCP: every request is logged with the connection it came on. */
class RawServer {
  readonly log: { conn: number; method: string; path: string }[] = [];
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #conns = new Set<Deno.Conn>();
  readonly #serving: Promise<void>;
  readonly #handlers = new Set<Promise<void>>();

  constructor(readonly answer: (method: string, path: string) => Answer) {
    this.#serving = this.#accept();
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#listener.addr as Deno.NetAddr).port}`;
  }

  count(method: string, path: string): number {
    return this.log.filter((r) => r.method === method && r.path.split("?")[0] === path).length;
  }

  async close(): Promise<void> {
    this.#listener.close();
    await this.#serving;
    for (const conn of this.#conns) this.#close(conn);
    await Promise.all(this.#handlers);
  }

  async #accept(): Promise<void> {
    let number = 0;
    try {
      for await (const conn of this.#listener) {
        this.#conns.add(conn);
        const handler = this.#serve(conn, ++number);
        this.#handlers.add(handler);
        void handler.finally(() => this.#handlers.delete(handler));
      }
    } catch {
      // listener closed
    }
  }

  #close(conn: Deno.Conn): void {
    this.#conns.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed
    }
  }

  async #serve(conn: Deno.Conn, number: number): Promise<void> {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(64 * 1024);
    let pending = "";
    while (true) {
      const read = await conn.read(buffer).catch(() => null);
      if (read === null) break;
      pending += decoder.decode(buffer.subarray(0, read));
      for (let end = pending.indexOf("\r\n\r\n"); end >= 0; end = pending.indexOf("\r\n\r\n")) {
        const head = pending.slice(0, end);
        const length = Number(head.match(/^content-length:\s*(\d+)/im)?.[1] ?? 0);
        if (pending.length < end + 4 + length) break;
        pending = pending.slice(end + 4 + length);
        const [method, path] = head.split(" ");
        this.log.push({ conn: number, method, path });
        const answer = this.answer(method, path);
        if (answer === "drop") return this.#close(conn);
        const body = JSON.stringify(answer.body);
        const reply = `HTTP/1.1 ${answer.status} X\r\ncontent-type: application/json\r\n` +
          `date: ${new Date().toUTCString()}\r\ncontent-length: ${new TextEncoder().encode(body).length}` +
          `\r\n\r\n${body}`;
        const written = await conn.write(new TextEncoder().encode(reply)).catch(() => null);
        if (written === null) return this.#close(conn);
      }
    }
    this.#close(conn);
  }
}

const lease = "cbx_0123456789ab";
const labels = { crabbox: "true", lease };

/** The client exactly as the CLI builds it, pointed at `endpoint` through HCLOUD_ENDPOINT. */
async function withRealClient(endpoint: string, fn: (api: HetznerApi) => Promise<void>): Promise<void> {
  const saved = { endpoint: Deno.env.get("HCLOUD_ENDPOINT"), token: Deno.env.get("HCLOUD_TOKEN") };
  Deno.env.set("HCLOUD_ENDPOINT", endpoint);
  Deno.env.set("HCLOUD_TOKEN", TOKEN);
  try {
    await fn(buildRealDeps(new Redactor()).hetzner({ notify: () => {}, debug: () => {} }));
  } finally {
    for (const [name, value] of [["HCLOUD_ENDPOINT", saved.endpoint], ["HCLOUD_TOKEN", saved.token]]) {
      if (value === undefined) Deno.env.delete(name!);
      else Deno.env.set(name!, value);
    }
  }
}

/** GETs answer (so the client has a pooled connection); every POST is read, then dropped. */
function dropCreates(method: string, path: string): Answer {
  if (method === "POST") return "drop";
  if (path.startsWith("/server_types")) {
    return { status: 200, body: { server_types: [serverTypeJson("cx23")], meta: meta(1, 1, 1) } };
  }
  if (path.startsWith("/servers?")) {
    return { status: 200, body: { servers: [serverJson(44, labels)], meta: meta(1, 1, 1) } };
  }
  return { status: 404, body: { error: { code: "not_found", message: "no route", details: null } } };
}

Deno.test("a dropped POST /servers reaches the API once and the created server is adopted", async () => {
  const server = new RawServer(dropCreates);
  try {
    await withRealClient(server.endpoint, async (api) => {
      assert.equal((await api.listServerTypes()).length, 1, "a GET first leaves a pooled connection");
      const created = await api.createServer({
        name: "crabbox-violet-prawn-40675f31",
        serverType: "cx23",
        image: "ubuntu-24.04",
        sshKeys: [],
        userData: "#cloud-config\n",
        labels,
      });
      assert.deepEqual([created.server.id, created.actionId], [44, null], "adopted by its lease label");
    });
    assert.equal(server.count("POST", "/servers"), 1, JSON.stringify(server.log));
    assert.deepEqual(
      server.log.map((r) => `${r.method} ${r.path.split("?")[0]}`),
      ["GET /server_types", "POST /servers", "GET /servers"],
      "the ambiguous create is resolved by a lookup, never by a second POST",
    );
  } finally {
    await server.close();
  }
});

Deno.test("a dropped POST /ssh_keys reaches the API once and fails as a network error", async () => {
  const server = new RawServer(dropCreates);
  try {
    await withRealClient(server.endpoint, async (api) => {
      await api.listServerTypes();
      const error = await api.createSshKey({
        name: "crabbox-cbx-0123456789ab",
        publicKey: "ssh-ed25519 AAAA",
        labels,
      })
        .then(() => null, (e) => e);
      assert.ok(error instanceof HetznerApiError, String(error));
      assert.deepEqual([error.status, error.code, error.ambiguous], [0, "network_error", true]);
    });
    assert.equal(server.count("POST", "/ssh_keys"), 1, JSON.stringify(server.log));
  } finally {
    await server.close();
  }
});

Deno.test("idempotent calls keep one pooled connection (creates alone go over fresh ones)", async () => {
  const server = new RawServer(dropCreates);
  try {
    await withRealClient(server.endpoint, async (api) => {
      for (let i = 0; i < 3; i++) await api.listServerTypes();
    });
    assert.deepEqual(server.log.map((r) => r.conn), [1, 1, 1]);
  } finally {
    await server.close();
  }
});

Deno.test("every POST goes through the unpooled fetch, every other call through the pooled one", async () => {
  const unpooled: string[] = [];
  let forward: typeof fetch = fetch;
  const { api, script } = clientFor([
    {
      method: "GET",
      path: "/server_types?page=1&per_page=50",
      response: { server_types: [], meta: meta(1, 1, 0) },
    },
    {
      method: "POST",
      path: "/ssh_keys",
      body: { name: "k", public_key: "ssh-ed25519 AAAA", labels },
      status: 201,
      response: { ssh_key: sshKeyJson(5, "k", "ssh-ed25519 AAAA", labels) },
    },
    { method: "PUT", path: "/servers/44", body: { labels }, response: { server: serverJson(44, labels) } },
    { method: "DELETE", path: "/ssh_keys/5", status: 204 },
  ], {
    fetchUnpooled: ((input: string | URL | Request, init?: RequestInit) => {
      unpooled.push(`${init?.method} ${new URL(String(input)).pathname}`);
      return forward(input, init);
    }) as typeof fetch,
  });
  forward = script.fetch as typeof fetch;
  await api.listServerTypes();
  await api.createSshKey({ name: "k", publicKey: "ssh-ed25519 AAAA", labels });
  await api.replaceServerLabels(44, labels);
  await api.deleteSshKey(5);
  assert.deepEqual(unpooled, ["POST /v1/ssh_keys"]);
  script.done();
});

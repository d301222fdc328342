/**
 * --debug shows each Hetzner call like hcloud's --debug: method, path, status, duration, correlation id and
 * the bodies, with the token, the host key in user_data, passwords and forwarded env values never shown.
 */
import assert from "node:assert/strict";
import { debugLines, redactBody, shortenPublicKey } from "../../providers/hetzner/http_debug.ts";
import { Output } from "../../core/output.ts";
import { Redactor } from "../../core/redact.ts";
import { CapturedIo } from "../cmd/_fakes.ts";
import { actionJson, apiError, clientFor, serverJson, sshKeyJson, TOKEN } from "./hetzner_mock.ts";

Deno.test("debug lines: a summary per exchange, then the request and response bodies", () => {
  const rows: [string, Parameters<typeof debugLines>[0], string[]][] = [
    [
      "a GET with its correlation id",
      {
        method: "GET",
        path: "/servers/7",
        status: 200,
        durationMs: 41,
        correlationId: "5b1d0c",
        responseBody: {},
      },
      ["hetzner GET /servers/7 200 41ms (correlation 5b1d0c)", "  response {}"],
    ],
    [
      "an empty 204 answer and no correlation id",
      {
        method: "DELETE",
        path: "/ssh_keys/3",
        status: 204,
        durationMs: 9,
        correlationId: null,
        responseBody: null,
      },
      ["hetzner DELETE /ssh_keys/3 204 9ms"],
    ],
    [
      "a PUT with its body",
      {
        method: "PUT",
        path: "/servers/7",
        status: 200,
        durationMs: 12,
        correlationId: "ab12",
        requestBody: { labels: { state: "ready" } },
      },
      ["hetzner PUT /servers/7 200 12ms (correlation ab12)", '  request {"labels":{"state":"ready"}}'],
    ],
    [
      "no answer",
      {
        method: "GET",
        path: "/servers?page=1",
        status: null,
        durationMs: 30000,
        correlationId: null,
        failure: "no answer within 30s",
      },
      ["hetzner GET /servers?page=1 failed after 30000ms: no answer within 30s"],
    ],
    [
      "an unreadable body is described, not printed",
      {
        method: "GET",
        path: "/servers",
        status: 502,
        durationMs: 3,
        correlationId: null,
        responseBody: "<unreadable text/html body, 42 chars>",
      },
      ["hetzner GET /servers 502 3ms", "  response <unreadable text/html body, 42 chars>"],
    ],
  ];
  for (const [label, exchange, expected] of rows) assert.deepEqual(debugLines(exchange), expected, label);
});

Deno.test("redactBody blanks user_data and secrets, shortens public keys, cuts long arrays", () => {
  const rows: [string, unknown, unknown][] = [
    ["user_data by size only", { user_data: "#cloud-config\nx: é\n" }, {
      user_data: "<user_data: 20 bytes, redacted>",
    }],
    [
      "a public key keeps its type and tail, not its comment",
      { public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN alice@laptop" },
      { public_key: "ssh-ed25519 …AAIK0wmN" },
    ],
    ["root_password", { root_password: "hunter2hunter2", next: null }, { root_password: "***", next: null }],
    ["a null password stays null", { root_password: null }, { root_password: null }],
    ["token-like keys, whatever the value", { api_token: { v: 1 }, secret: 5 }, {
      api_token: "***",
      secret: "***",
    }],
    ["private key text anywhere", { note: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc" }, {
      note: "<private key, redacted>",
    }],
    ["private_net is no secret", { private_net: [] }, { private_net: [] }],
    ["arrays show 3 items and a count", { ids: [1, 2, 3, 4, 5] }, { ids: [1, 2, 3, "… 2 more"] }],
    ["labels pass", { labels: { lease: "cbx_0123456789ab" } }, { labels: { lease: "cbx_0123456789ab" } }],
  ];
  for (const [label, body, expected] of rows) assert.deepEqual(redactBody(body), expected, label);
  assert.equal(shortenPublicKey("garbage"), "<public key>");
});

const CANARY_ENV = "canary-env-value-7c41e2";
const HOST_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nCanaryHostKeyMaterial0123\n-----END OPENSSH PRIVATE KEY-----";

Deno.test("through the client and the output: every call has its line, and no canary is printed", async () => {
  const labels = { crabbox: "true", lease: "cbx_0123456789ab", note: CANARY_ENV };
  const userData = `#cloud-config\nssh_keys:\n  ed25519_private: |\n    ${HOST_KEY}\nenv: ${CANARY_ENV}\n`;
  const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICanaryPublicKeyBlob0123456789 alice@CanaryHost";
  const correlation = (id: string) => ({ "X-Correlation-Id": id });
  const io = new CapturedIo();
  const redactor = new Redactor();
  redactor.add(TOKEN);
  redactor.add(CANARY_ENV);
  const out = new Output(io, redactor, { quiet: false, debug: true, json: false });
  const { api, script } = clientFor([
    {
      method: "POST",
      path: "/ssh_keys",
      body: { name: "crabbox-cbx-0123456789ab", public_key: publicKey, labels },
      status: 201,
      headers: correlation("c0ffee01"),
      response: { ssh_key: sshKeyJson(3, "crabbox-cbx-0123456789ab", publicKey, labels) },
    },
    {
      method: "POST",
      path: "/servers",
      body: {
        name: "crabbox-violet-prawn",
        server_type: "cpx11",
        image: "ubuntu-24.04",
        start_after_create: true,
        public_net: { enable_ipv4: true, enable_ipv6: false },
        ssh_keys: ["crabbox-cbx-0123456789ab"],
        user_data: userData,
        labels,
      },
      status: 201,
      headers: correlation("c0ffee02"),
      response: {
        server: serverJson(9, labels, { name: "crabbox-violet-prawn" }),
        action: actionJson(77, "create_server"),
        next_actions: [],
        root_password: "CanaryRootPassword99",
      },
    },
    {
      method: "DELETE",
      path: "/servers/9",
      status: 401,
      headers: correlation("c0ffee03"),
      response: apiError(
        "unauthorized",
        `unable to authenticate Bearer ${TOKEN} for token '${TOKEN.slice(0, 20)}'`,
      ),
      offContract: [],
    },
  ], { debug: (line) => out.debug(line) });

  await api.createSshKey({ name: "crabbox-cbx-0123456789ab", publicKey, labels });
  await api.createServer({
    name: "crabbox-violet-prawn",
    serverType: "cpx11",
    image: "ubuntu-24.04",
    sshKeys: ["crabbox-cbx-0123456789ab"],
    userData,
    labels,
  });
  await assert.rejects(api.deleteServer(9));
  script.done();

  const summaries = io.stderr.split("\n").filter((line) => /^crabbox: debug: hetzner /.test(line));
  assert.deepEqual(summaries, [
    "crabbox: debug: hetzner POST /ssh_keys 201 0ms (correlation c0ffee01)",
    "crabbox: debug: hetzner POST /servers 201 0ms (correlation c0ffee02)",
    "crabbox: debug: hetzner DELETE /servers/9 401 0ms (correlation c0ffee03)",
  ]);
  assert.match(io.stderr, /^crabbox: debug: {3}request .*"user_data":"<user_data: \d+ bytes, redacted>"/m);
  assert.match(io.stderr, /"public_key":"ssh-ed25519 …23456789"/);
  assert.match(io.stderr, /"root_password":"\*\*\*"/);
  assert.match(io.stderr, /"note":"\*\*\*"/, "a forwarded env value is redacted by the Redactor");
  for (
    const canary of [
      TOKEN,
      TOKEN.slice(0, 12),
      CANARY_ENV,
      "CanaryHostKey",
      "CanaryHost",
      "CanaryRootPassword",
    ]
  ) {
    assert.ok(!io.stderr.includes(canary), `${canary} leaked:\n${io.stderr}`);
  }
  assert.equal(io.stdout, "");
});

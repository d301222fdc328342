/** Pond rules (labels/pond.ts): the Go CLI's name normalisation, subnets, hosts rendering, the network sweep. */
import assert from "node:assert/strict";
import {
  choosePondSubnet,
  decideNetwork,
  hostsEntries,
  normalizePondName,
  pondRangeProblem,
  renderHostsBlock,
  requestedPond,
} from "../../labels/pond.ts";
import { CrabboxError } from "../../core/errors.ts";
import type { Server } from "../../providers/hetzner/port.ts";
import { pondHostsScript } from "../../ssh/scripts.ts";
import { remoteBash } from "../../lease/box.ts";
import { decodeNetwork, decodeServer } from "../../providers/hetzner/decode.ts";

Deno.test("pond names normalize as the Go CLI's normalizePondName", () => {
  const rows: [string, string][] = [
    ["pr-42", "pr-42"],
    ["PR 42", "pr-42"],
    ["  Feature/Login__Flow  ", "feature-login-flow"],
    ["--a--b--", "a-b"],
    ["ÄPP", "pp"],
    ["---", ""],
    ["", ""],
  ];
  for (const [input, expected] of rows) assert.equal(normalizePondName(input), expected, input);
});

Deno.test("--pond: blank means none; no letter or digit, or over 41 characters, is exit 2", () => {
  assert.equal(requestedPond(undefined), undefined);
  assert.equal(requestedPond("  "), undefined);
  assert.equal(requestedPond("x".repeat(41)), "x".repeat(41));
  const refuse = (value: string, message: string) => {
    assert.throws(() => requestedPond(value), (error: unknown) => {
      assert.ok(error instanceof CrabboxError);
      assert.equal(error.exitCode, 2);
      assert.equal(error.message, message);
      return true;
    });
  };
  refuse("!!!", "--pond must contain at least one letter or digit");
  refuse("x".repeat(42), "--pond must be 41 characters or fewer after normalization");
  assert.throws(
    () => requestedPond("--", "pond name"),
    /pond name must contain at least one letter or digit/,
  );
});

Deno.test("pond.ipRange must be an RFC 1918 range of at least a /24", () => {
  const rows: [string, string | null][] = [
    ["10.90.0.0/16", null],
    ["172.16.0.0/12", null],
    ["192.168.7.0/24", null],
    ["10.90.0.0/25", `"10.90.0.0/25" is smaller than a /24`],
    ["8.8.8.0/24", `"8.8.8.0/24" is not a private (RFC 1918) range`],
    ["172.32.0.0/16", `"172.32.0.0/16" is not a private (RFC 1918) range`],
    ["10.90.0.0", `"10.90.0.0" is not an IPv4 CIDR (e.g. 10.90.0.0/16)`],
  ];
  for (const [range, problem] of rows) assert.equal(pondRangeProblem(range), problem, range);
});

Deno.test("a pond's /24 comes from its name's hash, moving past used ones, null when full", () => {
  const first = choosePondSubnet("pr-42", "10.90.0.0/16", [])!;
  assert.match(first, /^10\.90\.\d+\.0\/24$/);
  assert.equal(choosePondSubnet("pr-42", "10.90.0.0/16", []), first, "racing CLIs pick the same");
  const next = choosePondSubnet("pr-42", "10.90.0.0/16", [first])!;
  assert.notEqual(next, first);
  assert.equal(choosePondSubnet("a", "192.168.5.0/24", []), "192.168.5.0/24");
  assert.equal(choosePondSubnet("a", "192.168.5.0/24", ["192.168.5.0/24"]), null);
  assert.deepEqual(
    ["10.8.0.0/23"].flatMap((
      r,
    ) => [choosePondSubnet("x", r, ["10.8.0.0/24"]), choosePondSubnet("x", r, ["10.8.1.0/24"])]),
    ["10.8.1.0/24", "10.8.0.0/24"],
  );
});

const member = (id: number, slug: string | undefined, ip: string | null, network = 7): Server => ({
  id,
  name: `crabbox-${slug}`,
  status: "running",
  createdMs: 0,
  ipv4: "203.0.113.1",
  labels: slug ? { slug, pond: "pr-42" } : { pond: "pr-42" },
  serverType: "cx23",
  location: "fsn1",
  privateNet: ip ? [{ network, ip }] : [],
});

Deno.test("hosts: one <slug>.cbx line per member with a private IP on the pond's network, by slug", () => {
  const entries = hostsEntries([
    member(1, "web", "10.90.3.4"),
    member(2, "api", "10.90.3.2"),
    member(3, "pending", null),
    member(4, undefined, "10.90.3.9"),
    member(5, "elsewhere", "10.1.1.1", 8),
  ], 7);
  assert.deepEqual(entries, [{ ip: "10.90.3.2", slug: "api" }, { ip: "10.90.3.4", slug: "web" }]);
  assert.equal(
    renderHostsBlock("pr-42", entries),
    "# crabbox pond begin (managed by crabbox; do not edit)\n" +
      "10.90.3.2\tapi.cbx\t# pond=pr-42\n10.90.3.4\tweb.cbx\t# pond=pr-42\n# crabbox pond end\n",
  );
  assert.equal(
    renderHostsBlock("pr-42", []),
    "# crabbox pond begin (managed by crabbox; do not edit)\n# crabbox pond end\n",
  );
});

Deno.test("hosts script: replaces only its block, in place, idempotently; an empty block removes it", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/hosts`;
  await Deno.writeTextFile(file, "127.0.0.1\tlocalhost\n10.0.0.9\tmine\n");
  const inode = (await Deno.stat(file)).ino;
  const run = async (block: string) => {
    const remote = pondHostsScript({ block, file });
    const out = await new Deno.Command("bash", { args: ["-c", remoteBash(remote.script, remote.args)] })
      .output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return await Deno.readTextFile(file);
  };
  const two = renderHostsBlock("p", [{ ip: "10.90.0.2", slug: "db" }, { ip: "10.90.0.3", slug: "api" }]);
  assert.equal(await run(two), "127.0.0.1\tlocalhost\n10.0.0.9\tmine\n" + two);
  assert.equal(await run(two), "127.0.0.1\tlocalhost\n10.0.0.9\tmine\n" + two, "idempotent");
  const one = renderHostsBlock("p", [{ ip: "10.90.0.2", slug: "db" }]);
  assert.equal(await run(one), "127.0.0.1\tlocalhost\n10.0.0.9\tmine\n" + one, "a leave drops the line");
  assert.equal(await run(""), "127.0.0.1\tlocalhost\n10.0.0.9\tmine\n");
  assert.equal((await Deno.stat(file)).ino, inode, "written in place: a bind mount keeps seeing it");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("network sweep: never with members, not within the grace, else deleted", () => {
  const labels = { crabbox: "true", created_by: "crabbox", pond: "pr-42" };
  const created = Date.parse("2026-05-01T12:00:00Z");
  const at = (iso: string) => Date.parse(iso);
  const rows: [string, Record<string, string>, number[], number, string, string, string][] = [
    ["foreign network", { pond: "pr-42" }, [], 0, "2026-05-01T20:00:00Z", "skip", "not_canonical"],
    [
      "no pond label",
      { crabbox: "true", created_by: "crabbox" },
      [],
      0,
      "2026-05-01T20:00:00Z",
      "skip",
      "not_canonical",
    ],
    ["a labelled member", labels, [], 1, "2026-05-01T20:00:00Z", "skip", "has_members"],
    ["an attached server", labels, [9], 0, "2026-05-01T20:00:00Z", "skip", "has_members"],
    ["empty within grace", labels, [], 0, "2026-05-01T12:59:00Z", "skip", "in_grace"],
    ["empty at the grace", labels, [], 0, "2026-05-01T13:00:00Z", "skip", "in_grace"],
    ["empty past grace", labels, [], 0, "2026-05-01T13:00:01Z", "delete", "no_members"],
  ];
  for (const [name, l, serverIds, live, now, decision, reason] of rows) {
    const verdict = decideNetwork({ labels: l, createdMs: created, serverIds }, live, at(now), 3600);
    assert.deepEqual([verdict.decision, verdict.reason], [decision, reason], name);
  }
});

Deno.test("decode: private_net on a server, and a network with its subnets and servers", () => {
  const server = decodeServer({
    id: 5,
    name: "crabbox-db-1",
    created: "2026-05-01T12:00:00+00:00",
    private_net: [{ network: 7, ip: "10.90.3.2", alias_ips: [], mac_address: "86:00:00:aa:bb:cc" }, {
      ip: "x",
    }],
  });
  assert.deepEqual(server?.privateNet, [{ network: 7, ip: "10.90.3.2" }]);
  assert.equal(
    decodeServer({ id: 5, name: "n", created: "2026-05-01T12:00:00+00:00", private_net: [] })?.privateNet,
    undefined,
  );
  assert.deepEqual(
    decodeNetwork({
      id: 7,
      name: "crabbox-pond-pr-42",
      ip_range: "10.90.3.0/24",
      subnets: [{
        type: "cloud",
        ip_range: "10.90.3.0/24",
        network_zone: "eu-central",
        gateway: "10.90.3.1",
      }],
      servers: [5, "x"],
      labels: { pond: "pr-42", n: 1 },
      created: "2026-05-01T12:00:00+00:00",
    }),
    {
      id: 7,
      name: "crabbox-pond-pr-42",
      ipRange: "10.90.3.0/24",
      subnets: [{ ipRange: "10.90.3.0/24", networkZone: "eu-central" }],
      serverIds: [5],
      labels: { pond: "pr-42" },
      createdMs: Date.parse("2026-05-01T12:00:00Z"),
    },
  );
  assert.equal(decodeNetwork({ id: 7, name: "x" }), null, "no created: undecodable");
});

/** The ssh allowlist's pure rules: CIDR parsing, the label hash, the rules, the sweep verdict. */
import assert from "node:assert/strict";
import {
  allowSetHash,
  cidrListProblem,
  decideFirewall,
  firewallLabels,
  firewallName,
  firewallSelector,
  normalizeCidrs,
  parseCidr,
  pickFirewall,
  renderRules,
} from "../../lease/firewall_rules.ts";
import type { Firewall } from "../../providers/hetzner/port.ts";

Deno.test("parseCidr accepts IPv4 networks and single hosts, and says what is wrong with the rest", () => {
  const cases: [string, string][] = [
    ["203.0.113.0/24", "203.0.113.0/24"],
    [" 10.0.0.0/8 ", "10.0.0.0/8"],
    ["203.0.113.7/32", "203.0.113.7/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["010.001.0.0/16", "10.1.0.0/16"],
    ["203.0.113.5/24", "203.0.113.5/24 has host bits set (did you mean 203.0.113.0/24 or 203.0.113.5/32?)"],
    ["203.0.113.7", '"203.0.113.7" has no prefix length (a single address is 203.0.113.7/32)'],
    ["256.0.0.0/8", '"256.0.0.0/8" is not an IPv4 CIDR such as 203.0.113.0/24'],
    ["10.0.0.0/33", '"10.0.0.0/33" is not an IPv4 CIDR such as 203.0.113.0/24'],
    ["office", '"office" is not an IPv4 CIDR such as 203.0.113.0/24'],
    ["2001:db8::/32", '"2001:db8::/32" is IPv6; boxes have IPv4 only, so list IPv4 ranges'],
  ];
  for (const [input, expected] of cases) {
    const parsed = parseCidr(input);
    assert.equal("cidr" in parsed ? parsed.cidr : parsed.problem, expected, input);
  }
});

Deno.test("cidrListProblem names the first bad entry and Hetzner's 100-range limit", () => {
  assert.equal(cidrListProblem([]), null);
  assert.equal(cidrListProblem(["203.0.113.0/24", "198.51.100.0/24"]), null);
  assert.equal(
    cidrListProblem(["203.0.113.0/24", "10.1.2.3/8"]),
    "entry 10.1.2.3/8 has host bits set (did you mean 10.0.0.0/8 or 10.1.2.3/32?)",
  );
  const many = Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`);
  assert.equal(cidrListProblem(many), "has more than 100 ranges (Hetzner's limit per rule)");
});

Deno.test("one set, one hash: order and duplicates do not matter, ranges and ports do", () => {
  const base = allowSetHash(["203.0.113.0/24", "198.51.100.0/24"], [2222, 22]);
  assert.match(base, /^[0-9a-f]{12}$/);
  assert.equal(allowSetHash(["198.51.100.0/24", "203.0.113.0/24", "198.51.100.0/24"], [22, 2222, 22]), base);
  assert.notEqual(allowSetHash(["203.0.113.0/24"], [2222, 22]), base);
  assert.notEqual(allowSetHash(["203.0.113.0/24", "198.51.100.0/24"], [2222]), base);
  assert.deepEqual(normalizeCidrs(["203.0.113.0/24", "010.0.0.0/8", "203.0.113.0/24"]), [
    "10.0.0.0/8",
    "203.0.113.0/24",
  ]);
});

Deno.test("labels, name and selector carry the owner and the hash", () => {
  assert.deepEqual(firewallLabels("alice-laptop", "0123456789ab", 1_777_000_000), {
    crabbox: "true",
    created_by: "crabbox",
    owner: "alice-laptop",
    allow: "0123456789ab",
    created_at: "1777000000",
  });
  assert.equal(firewallName("alice-laptop", "0123456789ab"), "crabbox-ssh-alice-laptop-0123456789ab");
  assert.ok(firewallName("x".repeat(200), "0123456789ab").length <= 128);
  assert.equal(
    firewallSelector("alice-laptop", "0123456789ab"),
    "crabbox=true,created_by=crabbox,owner=alice-laptop,allow=0123456789ab",
  );
});

Deno.test("renderRules: one inbound TCP rule per ssh port, from the normalized set", () => {
  assert.deepEqual(renderRules(["203.0.113.0/24", "10.0.0.0/8"], [2222, 22, 2222]), [
    {
      direction: "in",
      protocol: "tcp",
      port: "22",
      sourceIps: ["10.0.0.0/8", "203.0.113.0/24"],
      description: "crabbox ssh 22",
    },
    {
      direction: "in",
      protocol: "tcp",
      port: "2222",
      sourceIps: ["10.0.0.0/8", "203.0.113.0/24"],
      description: "crabbox ssh 2222",
    },
  ]);
});

const HOUR = 3600_000;
const firewall = (over: Partial<Firewall> = {}): Firewall => ({
  id: 7,
  name: "crabbox-ssh-alice-0123456789ab",
  labels: firewallLabels("alice", "0123456789ab", 0),
  createdMs: 0,
  rules: [],
  serverIds: [],
  ...over,
});

Deno.test("decideFirewall: unused past the grace goes; in use, in grace or foreign stays", () => {
  const now = 10 * HOUR;
  const cases: [string, Firewall, number, string][] = [
    ["unused, old", firewall({ createdMs: now - 2 * HOUR }), HOUR, "delete unused"],
    ["unused, inside the grace", firewall({ createdMs: now - HOUR / 2 }), HOUR, "skip in_grace"],
    ["applied to a box", firewall({ createdMs: 0, serverIds: [42] }), HOUR, "skip in_use"],
    [
      "no allow label",
      firewall({ labels: { crabbox: "true", created_by: "crabbox" } }),
      HOUR,
      "skip not_canonical",
    ],
    [
      "not made by crabbox",
      firewall({ labels: { crabbox: "true", allow: "x" } }),
      HOUR,
      "skip not_canonical",
    ],
    ["grace 0", firewall({ createdMs: now - 1 }), 0, "delete unused"],
  ];
  for (const [name, f, grace, expected] of cases) {
    const verdict = decideFirewall(f, now, grace / 1000);
    assert.equal(`${verdict.decision} ${verdict.reason}`, expected, name);
  }
});

Deno.test("pickFirewall keeps the lowest id", () => {
  assert.equal(pickFirewall([]), null);
  assert.equal(pickFirewall([firewall({ id: 9 }), firewall({ id: 3 }), firewall({ id: 5 })])?.id, 3);
});

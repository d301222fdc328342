import assert from "node:assert/strict";
import { displayValue, MASK } from "../../config/show.ts";

// Built at run time so no secret-shaped literal sits in the source.
const HETZNER = "a".repeat(32) + "B7".repeat(16);
const GITHUB = "ghp" + "_" + "x".repeat(36);

Deno.test("config show: values as written, anything token-shaped masked", () => {
  const rows: [string, unknown, string][] = [
    ["ttl", 5400, "1h30m"],
    ["sync.failBytes", 20 * 1024 ** 3, "20.0 GiB"],
    ["class", "beast", "beast"],
    ["hetzner.locations", ["fsn1", "nbg1"], "fsn1,nbg1"],
    ["env.set", { CI: "1", NODE_ENV: "test" }, "CI,NODE_ENV"],
    ["owner", HETZNER, MASK],
    ["owner", `alice ${"Bearer " + "x.y"}`, MASK],
    ["ssh.user", "https://u:" + "pw@example.com", MASK],
    ["sync.exclude", ["tmp/", GITHUB, "*.log"], `tmp/,${MASK},*.log`],
    ["env.set", { [HETZNER]: "x", CI: "1" }, `${MASK},CI`],
    ["some.apiToken", "plain", MASK], // a key named like a secret shows no value
    ["owner", "a".repeat(63), "a".repeat(63)],
  ];
  for (const [key, value, text] of rows) assert.equal(displayValue(key, value), text, `${key}`);
});

import assert from "node:assert/strict";
import {
  computeExpiresAt,
  decodeLeaseLabels,
  encodeCreateLabels,
  mergeCrabboxLabels,
  parseDurationSecs,
  parseTimeSecs,
  touchLabels,
} from "../../labels/codec.ts";
import { sanitizeLabelValue } from "../../labels/sanitize.ts";
import { isCrabboxOwned } from "../../labels/ownership.ts";

const VALUE = /^(([a-z0-9A-Z](?:[\-_.]|[a-z0-9A-Z]){0,61})?[a-z0-9A-Z]$|$)/;
const CREATED = Date.parse("2026-05-01T12:00:00Z") / 1000;

Deno.test("golden fixture: created 12:00Z, ttl 15m, idle 4m", () => {
  const labels = encodeCreateLabels({
    leaseId: "cbx_0123456789ab",
    slug: "violet-prawn",
    keep: false,
    className: "beast",
    serverType: "ccx63",
    profile: "default",
    providerKey: "crabbox-cbx-0123456789ab",
    owner: "alice@laptop",
    repo: "webapp",
    nowSecs: CREATED,
    ttlSecs: 900,
    idleSecs: 240,
    createDeadlineSecs: 1800,
  });
  assert.equal(labels.created_at, "1777636800");
  assert.equal(labels.state, "provisioning");
  assert.equal(labels.owner, "alice_laptop");
  // Touched at creation once ready: expires_at = min(last touched + idle, created + ttl).
  const touched = touchLabels(labels, CREATED, { state: "ready" });
  assert.deepEqual(
    [
      touched.created_at,
      touched.last_touched_at,
      touched.idle_timeout,
      touched.idle_timeout_secs,
      touched.ttl_secs,
      touched.expires_at,
    ],
    ["1777636800", "1777636800", "240", "240", "900", "1777637040"],
  );
  assert.equal(touchLabels(labels, CREATED, { keep: true }).expires_at, "1777637700");
  for (const [key, value] of Object.entries(touched)) assert.match(value, VALUE, key);
});

Deno.test("provisioning expiry is capped by the create deadline and the ttl", () => {
  const base = {
    leaseId: "cbx_0123456789ab",
    slug: "s",
    keep: false,
    className: "c",
    serverType: "t",
    profile: "p",
    providerKey: "k",
    owner: "o",
    repo: "r",
    nowSecs: 1000,
    idleSecs: 60,
  };
  assert.equal(encodeCreateLabels({ ...base, ttlSecs: 5400, createDeadlineSecs: 1800 }).expires_at, "2800");
  assert.equal(encodeCreateLabels({ ...base, ttlSecs: 600, createDeadlineSecs: 1800 }).expires_at, "1600");
});

Deno.test("expiry table", () => {
  const rows: [Parameters<typeof computeExpiresAt>[0], number][] = [
    [{ createdAtSecs: 0, lastTouchedAtSecs: 0, idleSecs: 240, ttlSecs: 900, keep: false }, 240],
    [{ createdAtSecs: 0, lastTouchedAtSecs: 800, idleSecs: 240, ttlSecs: 900, keep: false }, 900],
    [{ createdAtSecs: 0, lastTouchedAtSecs: 800, idleSecs: 240, ttlSecs: 900, keep: true }, 900],
    [{ createdAtSecs: 100, lastTouchedAtSecs: 100, idleSecs: 60, ttlSecs: 3600, keep: true }, 3700],
  ];
  for (const [input, expected] of rows) {
    assert.equal(computeExpiresAt(input), expected, JSON.stringify(input));
  }
});

Deno.test("lenient parsing of times and durations", () => {
  assert.equal(parseTimeSecs("1777636800"), 1777636800);
  assert.equal(parseTimeSecs("2026-05-01T12:00:00Z"), 1777636800);
  assert.equal(parseTimeSecs("soon"), null);
  assert.equal(parseTimeSecs(undefined), null);
  assert.equal(parseDurationSecs("1800"), 1800);
  assert.equal(parseDurationSecs("30m0s"), 1800);
  assert.equal(parseDurationSecs("1h0m0s"), 3600);
  assert.equal(parseDurationSecs("half an hour"), null);
  const decoded = decodeLeaseLabels({ idle_timeout: "30m0s", ttl_secs: "x", keep: "true" });
  assert.equal(decoded.idleSecs, 1800);
  assert.equal(decoded.ttlSecs, null);
  assert.equal(decoded.keep, true);
});

Deno.test("merges touch crabbox keys only", () => {
  const merged = mergeCrabboxLabels({ team: "web", state: "ready", run: "run_1" }, {
    state: "leased",
    run: null,
    team: "x",
  });
  assert.deepEqual(merged, { team: "web", state: "leased" });
});

Deno.test("sanitizer table (SPEC §3.1)", () => {
  const rows: [string, string][] = [
    ["tag:crabbox", "tag_crabbox"],
    ["alice@MacBook-Pro.local", "alice_MacBook-Pro.local"],
    ["", "unknown"],
    ["   ", "unknown"],
    ["__x__", "x"],
    ["Ärger-box", "rger-box"],
    ["a".repeat(70), "a".repeat(63)],
  ];
  for (const [input, expected] of rows) assert.equal(sanitizeLabelValue(input), expected, input);
});

Deno.test("ownership predicate", () => {
  const good = {
    crabbox: "true",
    created_by: "crabbox",
    provider: "hetzner",
    lease: "cbx_0123456789ab",
    slug: "x",
  };
  assert.equal(isCrabboxOwned(good), true);
  assert.equal(isCrabboxOwned({ ...good, owner: undefined as unknown as string }), true);
  for (
    const broken of [{ crabbox: "false" }, { created_by: "me" }, { provider: "aws" }, { lease: "cbx_XYZ" }, {
      slug: "",
    }]
  ) {
    assert.equal(isCrabboxOwned({ ...good, ...broken }), false, JSON.stringify(broken));
  }
});

Deno.test("ownership: both providers' labels are crabbox's own; no other or missing provider is", () => {
  const good = { crabbox: "true", created_by: "crabbox", lease: "cbx_0123456789ab", slug: "x" };
  const rows: [string | undefined, boolean][] = [
    ["hetzner", true],
    ["ssh", true],
    ["aws", false],
    ["", false],
    ["Hetzner", false],
    [undefined, false],
  ];
  for (const [provider, owned] of rows) {
    const labels = provider === undefined ? good : { ...good, provider };
    assert.equal(isCrabboxOwned(labels), owned, String(provider));
  }
});

Deno.test("create labels carry the port's provider label (hetzner unless told)", () => {
  const input = {
    leaseId: "cbx_0123456789ab",
    slug: "s",
    keep: false,
    className: "static",
    serverType: "static",
    profile: "p",
    providerKey: "k",
    owner: "o",
    repo: "r",
    nowSecs: 1000,
    ttlSecs: 600,
    idleSecs: 60,
    createDeadlineSecs: 1800,
  };
  assert.equal(encodeCreateLabels(input).provider, "hetzner");
  const ssh = encodeCreateLabels({ ...input, provider: "ssh" });
  assert.equal(ssh.provider, "ssh");
  assert.equal(isCrabboxOwned(ssh), true);
});

/** Checkpoint rules (labels/checkpoint.ts): ids, names, refs, labels, and the sweep and prune tables. */
import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  checkCheckpointName,
  CHECKPOINT_TTL,
  checkpointRef,
  checkpointSelector,
  checkpointTotals,
  checkpointView,
  decideCheckpointPrune,
  decideCheckpointSweep,
  encodeCheckpointLabels,
  isCheckpoint,
  lastUsedSecs,
  newCheckpointId,
  usedLabels,
} from "../../labels/checkpoint.ts";
import { formatDays, parseDaysFlag } from "../../core/duration.ts";
import { CrabboxError } from "../../core/errors.ts";
import { decodeImage } from "../../providers/hetzner/decode.ts";
import { buildUserData } from "../../providers/hetzner/user_data.ts";
import { validateCloudConfig } from "../contract/cloud_init_schema.ts";
import type { Image } from "../../providers/hetzner/port.ts";

const NOW = Date.parse("2026-05-10T12:00:00Z");
const secs = (iso: string) => String(Date.parse(iso) / 1000);
const labels = (extra: Record<string, string | undefined> = {}) =>
  Object.fromEntries(
    Object.entries({
      crabbox: "true",
      created_by: "crabbox",
      checkpoint: "chk_0123456789ab",
      owner: "alice_laptop",
      repo: "webapp",
      source_lease: "cbx_0123456789ab",
      created_at: secs("2026-05-01T12:00:00Z"),
      last_used_at: secs("2026-05-08T12:00:00Z"),
      expires_at: secs("2026-05-15T12:00:00Z"),
      ...extra,
    }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
const image = (extra: Record<string, string | undefined> = {}, fields: Partial<Image> = {}): Image => ({
  id: 7,
  type: "snapshot",
  status: "available",
  description: "",
  imageSizeGb: 1.25,
  diskSizeGb: 40,
  createdMs: Date.parse("2026-05-01T12:00:00Z"),
  createdFrom: null,
  architecture: "x86",
  labels: labels(extra),
  ...fields,
});
const usage = (fn: () => unknown) =>
  assert.throws(fn, (e) => e instanceof CrabboxError && e.kind === "usage" && e.exitCode === 2);

Deno.test("ids are chk_ and 12 hex digits; names are label values; refs are one or the other", () => {
  assert.equal(newCheckpointId((n) => new Uint8Array(n).fill(0xab)), "chk_abababababab");
  assert.deepEqual(checkpointRef(" chk_0123456789ab "), { id: "chk_0123456789ab" });
  assert.deepEqual(checkpointRef("deps-2026.05"), { name: "deps-2026.05" });
  for (const bad of ["", "chk_123", "chk_XYZXYZXYZXYZ", "-deps", "deps!", "a".repeat(64), "a,b=c"]) {
    usage(() => checkpointRef(bad));
  }
  assert.equal(checkCheckpointName("deps_1"), "deps_1");
  for (const bad of ["chk_0123456789ab", "deps ", "no/slash", "x".repeat(64)]) {
    usage(() => checkCheckpointName(bad));
  }
  assert.equal(checkpointSelector({ id: "chk_0123456789ab" }), "crabbox=true,checkpoint=chk_0123456789ab");
  assert.equal(checkpointSelector({ name: "deps" }), "crabbox=true,checkpoint,name=deps");
});

Deno.test("labels: what create writes, what a fork changes, what counts as a checkpoint", () => {
  const written = encodeCheckpointLabels({
    id: "chk_0123456789ab",
    name: "deps",
    repo: "my repo",
    owner: "alice@laptop",
    sourceLease: "cbx_0123456789ab",
    className: "standard",
    serverType: "ccx23",
    nowSecs: 1_000_000,
    ttlSecs: CHECKPOINT_TTL.defaultSecs,
  });
  assert.deepEqual(written, {
    crabbox: "true",
    created_by: "crabbox",
    checkpoint: "chk_0123456789ab",
    repo: "my_repo",
    owner: "alice_laptop",
    source_lease: "cbx_0123456789ab",
    created_at: "1000000",
    expires_at: String(1_000_000 + 7 * 86400),
    last_used_at: "1000000",
    name: "deps",
    class: "standard",
    server_type: "ccx23",
  });
  assert.deepEqual(usedLabels({ ...written, other: "kept" }, 2_000_000), {
    ...written,
    other: "kept",
    last_used_at: "2000000",
  });
  assert.equal(isCheckpoint(image()), true);
  assert.equal(isCheckpoint(image({}, { type: "system" })), false);
  assert.equal(isCheckpoint(image({ created_by: undefined })), false);
  assert.equal(isCheckpoint(image({ checkpoint: "chk_nothex" })), false);
  assert.equal(lastUsedSecs(image({ last_used_at: undefined })), Number(labels().created_at));
  assert.equal(lastUsedSecs(image({ last_used_at: undefined, created_at: undefined })), 1777636800);
});

Deno.test("sweep table: only past its own expires_at, never while creating, never guessed", () => {
  const rows: [string, Image, string, string][] = [
    ["foreign snapshot", image({ crabbox: undefined }), "skip", "not_checkpoint"],
    ["system image", image({}, { type: "system" }), "skip", "not_checkpoint"],
    [
      "creating",
      image({ expires_at: secs("2026-05-01T00:00:00Z") }, { status: "creating" }),
      "skip",
      "creating",
    ],
    ["no expires_at", image({ expires_at: undefined }), "skip", "missing_expires_at"],
    ["garbage expires_at", image({ expires_at: "soon" }), "skip", "missing_expires_at"],
    ["expired", image({ expires_at: secs("2026-05-10T11:59:59Z") }), "delete", "expired"],
    ["expires now", image({ expires_at: secs("2026-05-10T12:00:00Z") }), "skip", "not_expired"],
    [
      "unused for months but not expired",
      image({ last_used_at: secs("2026-01-01T00:00:00Z") }),
      "skip",
      "not_expired",
    ],
    [
      "server rules do not apply (state, keep, ttl)",
      image({ state: "failed", keep: "false", ttl_secs: "1" }),
      "skip",
      "not_expired",
    ],
  ];
  for (const [name, input, decision, reason] of rows) {
    assert.deepEqual(decideCheckpointSweep(input, NOW), { decision, reason }, name);
  }
});

Deno.test("prune table: this owner's expired or unused-for checkpoints, nothing else", () => {
  const input = { nowMs: NOW, unusedForSecs: 7 * 86400, owner: "alice_laptop" };
  const rows: [string, Image, string, string][] = [
    ["foreign", image({ created_by: "someone" }), "skip", "not_checkpoint"],
    ["creating", image({}, { status: "creating" }), "skip", "creating"],
    [
      "other owner, expired",
      image({ owner: "bob", expires_at: secs("2026-05-02T00:00:00Z") }),
      "skip",
      "other_owner",
    ],
    ["expired", image({ expires_at: secs("2026-05-02T00:00:00Z") }), "delete", "expired"],
    ["used 2 days ago", image(), "skip", "in_use"],
    ["used exactly 7 days ago", image({ last_used_at: secs("2026-05-03T12:00:00Z") }), "delete", "unused"],
    ["never forked, made 9 days ago", image({ last_used_at: undefined }), "delete", "unused"],
    ["no expires_at, recently used", image({ expires_at: undefined }), "skip", "in_use"],
  ];
  for (const [name, img, decision, reason] of rows) {
    assert.deepEqual(decideCheckpointPrune(img, input), { decision, reason }, name);
  }
});

Deno.test("view and totals: what list and --json show", () => {
  const view = checkpointView(image({ name: "deps", class: "standard", server_type: "ccx23" }));
  assert.deepEqual(view, {
    id: "chk_0123456789ab",
    name: "deps",
    imageId: 7,
    status: "available",
    repo: "webapp",
    owner: "alice_laptop",
    sourceLease: "cbx_0123456789ab",
    className: "standard",
    serverType: "ccx23",
    architecture: "x86",
    sizeGb: 1.25,
    diskSizeGb: 40,
    createdAt: "2026-05-01T12:00:00Z",
    lastUsedAt: "2026-05-08T12:00:00Z",
    expiresAt: "2026-05-15T12:00:00Z",
  });
  assert.deepEqual(
    checkpointTotals([image(), image({}, { imageSizeGb: null }), image({}, { imageSizeGb: 0.111 })]),
    {
      count: 3,
      sizeGb: 1.36,
    },
  );
});

Deno.test("durations with days: 7d, 1d12h, bounds named with the flag", () => {
  assert.equal(parseDaysFlag("--ttl", "7d", 3600, 90 * 86400), 7 * 86400);
  assert.equal(parseDaysFlag("--ttl", "1d12h", 3600, 90 * 86400), 36 * 3600);
  assert.equal(parseDaysFlag("--ttl", "90m", 3600, 90 * 86400), 5400);
  for (const bad of ["", "7", "d", "7w", "30m", "91d", "1d 2h"]) {
    assert.throws(
      () => parseDaysFlag("--ttl", bad, 3600, 90 * 86400),
      (e) => e instanceof CrabboxError && e.exitCode === 2 && e.message.startsWith(`--ttl ${bad}: must be`),
      bad,
    );
  }
  assert.equal(formatDays(7 * 86400), "7d");
  assert.equal(formatDays(36 * 3600), "1d12h");
  assert.equal(formatDays(3600), "1h");
});

Deno.test("decodeImage: the documented snapshot shape, leniently", () => {
  const raw = {
    id: 42,
    type: "snapshot",
    status: "creating",
    name: null,
    description: "crabbox checkpoint",
    image_size: null,
    disk_size: 40,
    created: "2026-05-01T12:00:00+00:00",
    created_from: { id: 9, name: "crabbox-violet-prawn" },
    architecture: "arm",
    labels: { crabbox: "true", bad: 5 },
    unknown: "ignored",
  };
  assert.deepEqual(decodeImage(raw), {
    id: 42,
    type: "snapshot",
    status: "creating",
    description: "crabbox checkpoint",
    imageSizeGb: null,
    diskSizeGb: 40,
    createdMs: Date.parse("2026-05-01T12:00:00Z"),
    createdFrom: { id: 9, name: "crabbox-violet-prawn" },
    architecture: "arm",
    labels: { crabbox: "true" },
  });
  assert.equal(decodeImage({ ...raw, id: "42" }), null);
  assert.equal(decodeImage({ ...raw, created: "yesterday" }), null);
});

Deno.test("a fork's user-data: bootcmd once per instance clears the source, then the usual boot", () => {
  const input = {
    clientPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIClient crabbox cbx_0123456789ab",
    hostPrivateKey:
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n",
    hostPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHost crabbox-host cbx_0123456789ab",
    ports: [2222, 22],
    workRoot: "/work/crabbox",
    sshUser: "crabbox",
  };
  assert.equal("bootcmd" in parse(buildUserData(input)), false, "a plain lease has no bootcmd");
  const text = buildUserData({
    ...input,
    fork: { sourceLease: "cbx_aaaaaaaaaaaa", leaseId: "cbx_bbbbbbbbbbbb" },
  });
  assert.deepEqual(validateCloudConfig(text), []);
  const doc = parse(text);
  const [entry] = doc.bootcmd;
  assert.deepEqual(entry.slice(0, 5), ["cloud-init-per", "instance", "crabbox-fork", "bash", "-c"]);
  assert.deepEqual(entry.slice(6), [
    "crabbox-fork",
    "/work/crabbox",
    "cbx_aaaaaaaaaaaa",
    "cbx_bbbbbbbbbbbb",
    "crabbox",
  ]);
  assert.doesNotMatch(entry[5], /cbx_aaaa|cbx_bbbb/, "values travel as arguments, never in the script");
  assert.match(entry[5], /rm -f \/var\/lib\/crabbox\/bootstrapped "\/home\/\$user\/\.ssh\/authorized_keys"/);
  assert.equal(doc.ssh_deletekeys, true, "the snapshot's host keys never survive");
  assert.equal(doc.ssh_keys.ed25519_public, input.hostPublicKey);
});

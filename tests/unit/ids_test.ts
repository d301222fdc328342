import assert from "node:assert/strict";
import {
  allocateSlug,
  fnv1a32,
  isSshKeyName,
  leaseIdFromKeyName,
  newLeaseId,
  normalizeSlug,
  serverName,
  slugFromLeaseId,
  sshKeyName,
} from "../../labels/ids.ts";

Deno.test("FNV-1a-32 and slug goldens (SPEC §4.1)", () => {
  assert.equal(fnv1a32("cbx_0123456789ab").toString(16), "40675f31");
  assert.equal(slugFromLeaseId("cbx_0123456789ab"), "violet-prawn");
  assert.equal(fnv1a32("cbx_a1b2c3d4e5f6").toString(16), "6c86257f");
  assert.equal(slugFromLeaseId("cbx_a1b2c3d4e5f6"), "jade-krill");
  assert.equal(serverName("violet-prawn", "cbx_0123456789ab"), "crabbox-violet-prawn-40675f31");
});

Deno.test("slug allocation on collision", () => {
  const id = "cbx_0123456789ab";
  assert.equal(allocateSlug("violet-prawn", id, new Set()), "violet-prawn");
  assert.equal(allocateSlug("violet-prawn", id, new Set(["violet-prawn"])), "violet-prawn-753f");
  const allTaken = new Set(["violet-prawn"]);
  for (let i = 1; i <= 20; i++) {
    const next = allocateSlug("violet-prawn", id, allTaken)!;
    allTaken.add(next);
  }
  assert.equal(allocateSlug("violet-prawn", id, allTaken), "cbx-0123456789ab");
  allTaken.add("cbx-0123456789ab");
  assert.equal(allocateSlug("violet-prawn", id, allTaken), null);
});

Deno.test("slug normalization", () => {
  assert.equal(normalizeSlug("  My Box!! 2 "), "my-box-2");
  assert.throws(() => normalizeSlug("---"));
  assert.throws(() => normalizeSlug("a".repeat(42)));
});

Deno.test("ids and key names", () => {
  const id = newLeaseId(() => new Uint8Array([0, 1, 0x23, 0x45, 0x67, 0x89]));
  assert.equal(id, "cbx_000123456789");
  assert.equal(sshKeyName("cbx_0123456789ab"), "crabbox-cbx-0123456789ab");
  assert.equal(isSshKeyName("crabbox-cbx-0123456789ab"), true);
  assert.equal(isSshKeyName("crabbox-cbx-0123"), false);
  assert.equal(leaseIdFromKeyName("crabbox-cbx-0123456789ab"), "cbx_0123456789ab");
});

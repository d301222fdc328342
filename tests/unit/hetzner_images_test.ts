/**
 * The snapshot-image calls behind checkpoints, exactly as Hetzner's document says: create_image sent
 * once, the image list by type and label selector, GET (404 is null), PUT labels, DELETE (404 is gone).
 */
import assert from "node:assert/strict";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import { actionJson, apiError, clientFor, meta } from "./hetzner_mock.ts";

const labels = { crabbox: "true", created_by: "crabbox", checkpoint: "chk_0123456789ab" };

function imageJson(id: number, status: "available" | "creating", extra: Record<string, unknown> = {}) {
  return {
    id,
    type: "snapshot",
    status,
    name: null,
    description: "crabbox checkpoint chk_0123456789ab of cbx_0123456789ab",
    image_size: status === "available" ? 1.25 : null,
    disk_size: 40,
    created: "2026-05-01T12:00:00+00:00",
    created_from: { id: 42, name: "crabbox-violet-prawn-40675f31" },
    bound_to: null,
    os_flavor: "ubuntu",
    os_version: null,
    rapid_deploy: false,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels,
    architecture: "x86",
    ...extra,
  };
}

const decoded = (id: number, status: string, imageSizeGb: number | null) => ({
  id,
  type: "snapshot",
  status,
  description: "crabbox checkpoint chk_0123456789ab of cbx_0123456789ab",
  imageSizeGb,
  diskSizeGb: 40,
  createdMs: Date.parse("2026-05-01T12:00:00Z"),
  createdFrom: { id: 42, name: "crabbox-violet-prawn-40675f31" },
  architecture: "x86",
  labels,
});

Deno.test("create_image: {type: snapshot, description, labels}, the image and its action", async () => {
  const description = "crabbox checkpoint chk_0123456789ab of cbx_0123456789ab";
  const { api, script } = clientFor([{
    method: "POST",
    path: "/servers/42/actions/create_image",
    body: { type: "snapshot", description, labels },
    status: 201,
    response: { image: imageJson(7, "creating"), action: actionJson(90, "create_image") },
  }]);
  assert.deepEqual(await api.createSnapshot(42, { description, labels }), {
    image: decoded(7, "creating", null),
    actionId: 90,
  });
  script.done();
});

Deno.test("create_image is never retried: a 503 is the caller's to resolve by label", async () => {
  const { api, script, clock } = clientFor([{
    method: "POST",
    path: "/servers/42/actions/create_image",
    body: { type: "snapshot", description: "", labels },
    status: 503,
    response: apiError("unavailable", "service unavailable"),
  }]);
  await assert.rejects(
    api.createSnapshot(42, { description: "", labels }),
    (error) => error instanceof HetznerApiError && error.status === 503 && error.ambiguous,
  );
  assert.deepEqual(clock.sleeps, []);
  script.done();
});

Deno.test("images: listed by type and label selector, read, relabelled and deleted", async () => {
  const { api, script } = clientFor([
    {
      method: "GET",
      path: "/images?type=snapshot&label_selector=crabbox%3Dtrue%2Ccheckpoint&page=1&per_page=50",
      response: { images: [imageJson(7, "available")], meta: meta(1, 1, 1) },
    },
    { method: "GET", path: "/images/7", response: { image: imageJson(7, "available") } },
    { method: "GET", path: "/images/8", status: 404, response: apiError("not_found", "image not found") },
    {
      method: "PUT",
      path: "/images/7",
      body: { labels: { ...labels, last_used_at: "1777636800" } },
      response: { image: imageJson(7, "available", { labels: { ...labels, last_used_at: "1777636800" } }) },
    },
    { method: "DELETE", path: "/images/7", status: 204 },
    { method: "DELETE", path: "/images/7", status: 404, response: apiError("not_found", "image not found") },
  ]);
  assert.deepEqual(await api.listImages({ type: "snapshot", labelSelector: "crabbox=true,checkpoint" }), [
    decoded(7, "available", 1.25),
  ]);
  assert.deepEqual(await api.getImage(7), decoded(7, "available", 1.25));
  assert.equal(await api.getImage(8), null);
  const relabelled = await api.replaceImageLabels(7, { ...labels, last_used_at: "1777636800" });
  assert.equal(relabelled.labels.last_used_at, "1777636800");
  assert.equal(await api.deleteImage(7), "deleted");
  assert.equal(await api.deleteImage(7), "gone");
  script.done();
});

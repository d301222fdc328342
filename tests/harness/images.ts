/**
 * The fake's snapshot images (HARNESS, issue 13): create_image copies the server's disk (its box dir)
 * at once and the image is `creating` until its action ends; a server created with the snapshot boots
 * from a copy of that disk. GET/PUT/DELETE /images/{id} and the list filters as Hetzner's document
 * says. Test code.
 */
import { imageJson, IMAGES, SERVER_TYPES, serverTypeIndex } from "./catalog.ts";
import { type Architecture } from "./catalog.ts";
import { architectureOf, isoTime } from "./fake_json.ts";
import { labelProblem, parseSelector } from "./labels.ts";

export interface FakeImage {
  id: number;
  description: string;
  labels: Record<string, string>;
  created: string;
  /** Real ms when its create_image action is done: `creating` until then. */
  doneAt: number;
  createdFrom: { id: number; name: string };
  architecture: Architecture;
  /** GB the server type's disk has: what a server booting it needs at least. */
  diskSize: number;
  /** GB of the compressed image once available (measured on the copied disk). */
  imageSize: number;
  /** The copied disk: a box dir without its per-machine files. */
  disk: string;
}

/** How long Hetzner takes to make a snapshot of a small disk (a few seconds; scaled down like boots). */
export const SNAPSHOT_MS = 1500;

/** What a box dir holds per machine, never part of a disk copy. */
const MACHINE_FILES = ["start.sh", "sshd.pid", "etc/sshd_config"];

export class FakeImages {
  readonly images = new Map<number, FakeImage>();
  snapshotMs = SNAPSHOT_MS;

  constructor(readonly root: string) {}

  /** Copies the disk now; the image is available once the action is done. */
  async snapshot(input: {
    id: number;
    server: { id: number; name: string; serverType: string; dir: string };
    description: string;
    labels: Record<string, string>;
    now: number;
    clock: number;
  }): Promise<FakeImage> {
    const disk = `${this.root}/images/${input.id}`;
    await Deno.mkdir(`${this.root}/images`, { recursive: true });
    await run(["cp", "-a", input.server.dir, disk]);
    for (const file of MACHINE_FILES) await Deno.remove(`${disk}/${file}`).catch(() => {});
    const bytes = Number((await run(["du", "-sb", disk])).split(/\s/)[0]);
    const typeIndex = serverTypeIndex(input.server.serverType) ?? 0;
    const image: FakeImage = {
      id: input.id,
      description: input.description,
      labels: input.labels,
      created: isoTime(input.clock),
      doneAt: input.now + this.snapshotMs,
      createdFrom: { id: input.server.id, name: input.server.name },
      architecture: architectureOf(input.server.serverType),
      diskSize: SERVER_TYPES[typeIndex][3],
      // At least 0.01 GB: Hetzner rounds a tiny image up, never to nothing.
      imageSize: Math.max(0.01, Math.round((bytes / 1e9) * 100) / 100),
      disk,
    };
    this.images.set(image.id, image);
    return image;
  }

  /** A snapshot that a server of this type can boot, or why not (422 invalid_input in the caller). */
  bootable(ref: unknown, serverType: string, now: number): FakeImage | string | null {
    const image = this.images.get(Number(ref));
    if (!image || !/^\d+$/.test(String(ref))) return null;
    if (now < image.doneAt) return "image is still being created";
    if (image.architecture !== architectureOf(serverType)) {
      return "image architecture does not match server type";
    }
    const typeIndex = serverTypeIndex(serverType) ?? 0;
    if (SERVER_TYPES[typeIndex][3] < image.diskSize) return "server type disk is smaller than the image";
    return image;
  }

  json(image: FakeImage, now: number) {
    const available = now >= image.doneAt;
    return {
      id: image.id,
      type: "snapshot",
      status: available ? "available" : "creating",
      name: null,
      description: image.description,
      image_size: available ? image.imageSize : null,
      disk_size: image.diskSize,
      created: image.created,
      created_from: image.createdFrom,
      bound_to: null,
      os_flavor: "ubuntu",
      os_version: null,
      rapid_deploy: false,
      protection: { delete: false },
      deprecated: null,
      deleted: null,
      labels: image.labels,
      architecture: image.architecture,
    };
  }

  /** GET /images: the system catalogue and the snapshots, filtered; null for a bad label_selector. */
  list(url: URL, now: number): object[] | null {
    const selector = url.searchParams.get("label_selector");
    const match = selector === null ? () => true : parseSelector(selector);
    if (!match) return null;
    const types = url.searchParams.getAll("type");
    const statuses = url.searchParams.getAll("status");
    const arch = url.searchParams.get("architecture");
    const name = url.searchParams.get("name");
    const all = [
      ...IMAGES.map((_, i) => imageJson(i)),
      ...[...this.images.values()].sort((a, b) => a.id - b.id).map((image) => this.json(image, now)),
    ];
    return all.filter((image) =>
      (types.length === 0 || types.includes(image.type)) &&
      (statuses.length === 0 || statuses.includes(image.status)) &&
      (arch === null || image.architecture === arch) &&
      (name === null || image.name === name) &&
      match(image.labels)
    );
  }

  /** GET /images/{id}: a snapshot or a system image; null when there is none. */
  get(id: number, now: number): object | null {
    const image = this.images.get(id);
    if (image) return this.json(image, now);
    const index = IMAGES.findIndex(([imageId]) => imageId === id);
    return index < 0 ? null : imageJson(index);
  }

  /** PUT /images/{id}: description and labels (replaced whole); an error message for 422. */
  update(id: number, body: Record<string, unknown>): FakeImage | string | null {
    const image = this.images.get(id);
    if (!image) return null;
    if (body.labels !== undefined) {
      const problem = labelProblem(body.labels);
      if (problem) return problem;
      image.labels = { ...(body.labels as Record<string, string>) };
    }
    if (typeof body.description === "string") image.description = body.description;
    return image;
  }

  async delete(id: number): Promise<boolean> {
    const image = this.images.get(id);
    if (!image) return false;
    this.images.delete(id);
    await Deno.remove(image.disk, { recursive: true }).catch(() => {});
    return true;
  }
}

async function run(cmd: string[]): Promise<string> {
  const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * Checkpoints (Hetzner snapshot images made by `crabbox checkpoint create`): their ids, the labels that
 * hold all their state (no coordinator, no local record), and the prune and sweep decisions. Pure.
 */
import type { Image, Labels } from "../providers/hetzner/port.ts";
import { usageError } from "../core/errors.ts";
import { formatIso } from "../core/format.ts";
import { parseTimeSecs } from "./codec.ts";
import { sanitizeLabelValue } from "./sanitize.ts";

const CHECKPOINT_ID = /^chk_[0-9a-f]{12}$/;
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

/** The default and the bounds of `checkpoint create --ttl`. */
export const CHECKPOINT_TTL = { defaultSecs: 7 * 86400, minSecs: 3600, maxSecs: 90 * 86400 } as const;

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

export function newCheckpointId(randomBytes: (n: number) => Uint8Array): string {
  return `chk_${hex(randomBytes(6))}`;
}

export function isCheckpointId(text: string): boolean {
  return CHECKPOINT_ID.test(text);
}

/** `--name`: a label value as given (never silently rewritten, since it is looked up again). */
export function checkCheckpointName(name: string): string {
  if (!NAME.test(name) || isCheckpointId(name)) {
    throw usageError(
      `--name ${JSON.stringify(name)}: not a checkpoint name`,
      "use up to 63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit (not chk_…)",
    );
  }
  return name;
}

/** What a command names a checkpoint by: its id (chk_…) or its --name; anything else is a usage error. */
export function checkpointRef(ref: string): { id: string } | { name: string } {
  const trimmed = ref.trim();
  if (isCheckpointId(trimmed)) return { id: trimmed };
  if (NAME.test(trimmed) && !trimmed.startsWith("chk_")) return { name: trimmed };
  throw usageError(
    `${JSON.stringify(ref)} is not a checkpoint id or name`,
    "pass a checkpoint id (chk_ and 12 hex digits) or its name; crabbox checkpoint list shows them",
  );
}

/** Label selectors: every checkpoint, or one by id or name (the values were checked above). */
export const crabboxCheckpoints = () => "crabbox=true,checkpoint";
export const checkpointSelector = (ref: { id: string } | { name: string }) =>
  "id" in ref ? `crabbox=true,checkpoint=${ref.id}` : `crabbox=true,checkpoint,name=${ref.name}`;

export interface CheckpointLabelsInput {
  id: string;
  name?: string;
  repo: string;
  owner: string;
  sourceLease: string;
  /** The source's class and server type: a fork needs a disk at least as large. */
  className?: string;
  serverType?: string;
  nowSecs: number;
  ttlSecs: number;
}

export function encodeCheckpointLabels(input: CheckpointLabelsInput): Labels {
  const labels: Labels = {
    crabbox: "true",
    created_by: "crabbox",
    checkpoint: input.id,
    repo: sanitizeLabelValue(input.repo),
    owner: sanitizeLabelValue(input.owner),
    source_lease: input.sourceLease,
    created_at: String(input.nowSecs),
    expires_at: String(input.nowSecs + input.ttlSecs),
    last_used_at: String(input.nowSecs),
  };
  if (input.name) labels.name = input.name;
  if (input.className) labels.class = sanitizeLabelValue(input.className);
  if (input.serverType) labels.server_type = sanitizeLabelValue(input.serverType);
  return labels;
}

/** crabbox's own checkpoint: a snapshot labelled crabbox=true, created_by=crabbox, checkpoint=chk_…. */
export function isCheckpoint(image: Pick<Image, "type" | "labels">): boolean {
  const labels = image.labels;
  return image.type === "snapshot" && labels.crabbox === "true" && labels.created_by === "crabbox" &&
    isCheckpointId(labels.checkpoint ?? "");
}

/** A fork marks the checkpoint used: only last_used_at changes; every other label is kept. */
export function usedLabels(current: Labels, nowSecs: number): Labels {
  return { ...current, last_used_at: String(nowSecs) };
}

/** When it was last forked (or made); Hetzner's `created` when the labels say nothing. */
export function lastUsedSecs(image: Pick<Image, "labels" | "createdMs">): number {
  return parseTimeSecs(image.labels.last_used_at) ?? parseTimeSecs(image.labels.created_at) ??
    Math.floor(image.createdMs / 1000);
}

export interface CheckpointDecision {
  decision: "delete" | "skip";
  reason:
    | "not_checkpoint"
    | "creating"
    | "missing_expires_at"
    | "expired"
    | "not_expired"
    | "unused"
    | "in_use"
    | "other_owner";
}

/**
 * The sweep: a checkpoint goes once past its own expires_at, never by the server rules and never
 * while Hetzner is still making it; one without a readable expires_at is never guessed at.
 */
export function decideCheckpointSweep(
  image: Pick<Image, "type" | "labels" | "status">,
  nowMs: number,
): CheckpointDecision {
  if (!isCheckpoint(image)) return { decision: "skip", reason: "not_checkpoint" };
  if (image.status === "creating") return { decision: "skip", reason: "creating" };
  const expires = parseTimeSecs(image.labels.expires_at);
  if (expires === null) return { decision: "skip", reason: "missing_expires_at" };
  return nowMs > expires * 1000
    ? { decision: "delete", reason: "expired" }
    : { decision: "skip", reason: "not_expired" };
}

/** `checkpoint prune --unused-for D`: this owner's checkpoints that expired or were not forked for D. */
export function decideCheckpointPrune(
  image: Pick<Image, "type" | "labels" | "status" | "createdMs">,
  input: { nowMs: number; unusedForSecs: number; owner: string },
): CheckpointDecision {
  const swept = decideCheckpointSweep(image, input.nowMs);
  if (swept.reason === "not_checkpoint" || swept.reason === "creating") return swept;
  if ((image.labels.owner ?? "") !== input.owner) return { decision: "skip", reason: "other_owner" };
  if (swept.decision === "delete") return swept;
  return input.nowMs >= (lastUsedSecs(image) + input.unusedForSecs) * 1000
    ? { decision: "delete", reason: "unused" }
    : { decision: "skip", reason: "in_use" };
}

/** What list, create and --json show of a checkpoint. */
export interface CheckpointView {
  id: string;
  name: string | null;
  imageId: number;
  status: string;
  repo: string | null;
  owner: string | null;
  sourceLease: string | null;
  className: string | null;
  serverType: string | null;
  architecture: string | null;
  /** GB of the snapshot (what Hetzner bills); null while it is being made. */
  sizeGb: number | null;
  /** GB of disk a forked server needs at least. */
  diskSizeGb: number;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string | null;
}

export function checkpointView(image: Image): CheckpointView {
  const labels = image.labels;
  const expires = parseTimeSecs(labels.expires_at);
  return {
    id: labels.checkpoint,
    name: labels.name ?? null,
    imageId: image.id,
    status: image.status,
    repo: labels.repo ?? null,
    owner: labels.owner ?? null,
    sourceLease: labels.source_lease ?? null,
    className: labels.class ?? null,
    serverType: labels.server_type ?? null,
    architecture: image.architecture,
    sizeGb: image.imageSizeGb,
    diskSizeGb: image.diskSizeGb,
    createdAt: formatIso((parseTimeSecs(labels.created_at) ?? Math.floor(image.createdMs / 1000)) * 1000),
    lastUsedAt: formatIso(lastUsedSecs(image) * 1000),
    expiresAt: expires === null ? null : formatIso(expires * 1000),
  };
}

/** "3 checkpoints, 4.2 GB": the count and the billed size (an image still being made counts 0). */
export function checkpointTotals(images: Pick<Image, "imageSizeGb">[]): { count: number; sizeGb: number } {
  const sizeGb = images.reduce((sum, image) => sum + (image.imageSizeGb ?? 0), 0);
  return { count: images.length, sizeGb: Math.round(sizeGb * 100) / 100 };
}

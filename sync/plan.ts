/** The offline sync plan (SPEC §10.9): pure over a manifest and the guardrail limits. */
import type { Manifest } from "./manifest.ts";

export interface GuardrailLimits {
  warnFiles: number;
  warnBytes: number;
  failFiles: number;
  failBytes: number;
}

export interface SyncPlan {
  candidate: { files: number; bytes: number };
  deletedTracked: number;
  excludedTrackedSecrets: { count: number; examples: { path: string; rule: string }[] };
  protectedTracked: { count: number; examples: { path: string; rule: string }[] };
  reincludedSecrets: string[];
  /** FIFOs, sockets and devices git listed: never opened, never synced. */
  skippedNonRegular: { count: number; examples: Manifest["nonRegular"] };
  guardrail: {
    status: "ok" | "warning" | "failed";
    limits: GuardrailLimits;
    reasons: { metric: "files" | "bytes"; actual: number; limit: number }[];
  };
  topFiles: { path: string; bytes: number }[];
  topDirs: { dir: string; bytes: number; files: number }[];
}

const EXAMPLES = 5;

/** `2 non-regular files (never synced): pipe (fifo), app.sock (socket)`, the first few named. */
export function describeNonRegular(list: Manifest["nonRegular"]): string {
  const named = list.slice(0, EXAMPLES).map((f) => `${f.path} (${f.kind})`).join(", ");
  const more = list.length > EXAMPLES ? `, … (+${list.length - EXAMPLES} more)` : "";
  return `${list.length} non-regular file${list.length === 1 ? "" : "s"} (never synced): ${named}${more}`;
}

export function syncPlan(
  manifest: Manifest,
  limits: GuardrailLimits,
  limit: number,
  reincludedSecrets: string[] = [],
): SyncPlan {
  const files = manifest.files.length;
  const reasons: SyncPlan["guardrail"]["reasons"] = [];
  const check = (metric: "files" | "bytes", actual: number, fail: number, warn: number) => {
    if (actual >= fail) reasons.push({ metric, actual, limit: fail });
    else if (actual >= warn) reasons.push({ metric, actual, limit: warn });
  };
  check("files", files, limits.failFiles, limits.warnFiles);
  check("bytes", manifest.bytes, limits.failBytes, limits.warnBytes);
  const failed = files >= limits.failFiles || manifest.bytes >= limits.failBytes;
  const dirs = new Map<string, { bytes: number; files: number }>();
  manifest.files.forEach((path, i) => {
    const parts = path.split("/");
    const dir = parts.length === 1 ? "." : parts.slice(0, Math.min(2, parts.length - 1)).join("/");
    const entry = dirs.get(dir) ?? { bytes: 0, files: 0 };
    entry.bytes += manifest.sizes[i];
    entry.files += 1;
    dirs.set(dir, entry);
  });
  return {
    candidate: { files, bytes: manifest.bytes },
    deletedTracked: manifest.deleted.length,
    excludedTrackedSecrets: {
      count: manifest.excludedTrackedSecrets.length,
      examples: manifest.excludedTrackedSecrets.slice(0, 5),
    },
    protectedTracked: {
      count: manifest.protectedTracked.length,
      examples: manifest.protectedTracked.slice(0, 5),
    },
    reincludedSecrets,
    skippedNonRegular: {
      count: manifest.nonRegular.length,
      examples: manifest.nonRegular.slice(0, EXAMPLES),
    },
    guardrail: { status: failed ? "failed" : reasons.length ? "warning" : "ok", limits, reasons },
    topFiles: manifest.files.map((path, i) => ({ path, bytes: manifest.sizes[i] }))
      .sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path)).slice(0, limit),
    topDirs: [...dirs].map(([dir, v]) => ({ dir, ...v }))
      .sort((a, b) => b.bytes - a.bytes || a.dir.localeCompare(b.dir)).slice(0, limit),
  };
}

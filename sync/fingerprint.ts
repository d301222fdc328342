/**
 * The sync fingerprint (SPEC §10.5): what the box would receive, hashed. Equal fingerprints mean the
 * box already holds this tree, so rsync is skipped.
 */
import { createHash } from "node:crypto";
import type { Deps } from "../core/deps.ts";
import type { Manifest } from "./manifest.ts";

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
const decoder = new TextDecoder();

export interface FingerprintInput {
  head: string | null;
  tree: string | null;
  manifest: string[];
  deleted: string[];
  rules: string[];
  options: { delete: boolean; checksum: boolean };
  /** Changed paths (work tree vs HEAD, plus untracked manifest entries), sorted, with mode/size/hash. */
  changed: { path: string; mode: string; size: number; hash: string }[];
}

/** Pure: the same input always gives the same fingerprint. */
export function fingerprint(input: FingerprintInput): string {
  const nul = (list: string[]) => sha256(list.map((p) => p + "\0").join(""));
  let text = "crabbox-sync-v1\n" +
    `head=${input.head ?? "none"}\n` +
    `tree=${input.tree ?? "none"}\n` +
    `manifest=${nul(input.manifest)}\n` +
    `deleted=${nul(input.deleted)}\n` +
    `rules=${sha256(input.rules.join("\n"))}\n` +
    `options=delete:${input.options.delete},checksum:${input.options.checksum}\n`;
  for (const c of input.changed) text += `${c.path}\0${c.mode}\0${c.size}\0${c.hash}\n`;
  return sha256(text);
}

async function git(deps: Pick<Deps, "proc">, cwd: string, args: string[]): Promise<string | null> {
  const result = await deps.proc.run("git", args, { cwd });
  return result.code === 0 ? decoder.decode(result.stdout) : null;
}

/** Gathers the fingerprint inputs from git and the file system. */
export async function localFingerprint(
  deps: Pick<Deps, "proc" | "fs">,
  manifest: Manifest,
  rules: string[],
  options: { delete: boolean; checksum: boolean },
): Promise<{ value: string; head: string | null }> {
  const root = manifest.gitRoot;
  const head = (await git(deps, root, ["rev-parse", "--verify", "-q", "HEAD"]))?.trim() || null;
  const tree = head ? (await git(deps, root, ["rev-parse", "HEAD^{tree}"]))?.trim() ?? null : null;
  const tracked = new Set(
    (await git(deps, root, ["ls-files", "--cached", "-z"]) ?? "").split("\0").filter(Boolean),
  );
  const diffed = head ? (await git(deps, root, ["diff", "--name-only", "-z", "HEAD"]) ?? "").split("\0") : [];
  const inManifest = new Set(manifest.files);
  const candidates = new Set([
    ...diffed.filter((p) => inManifest.has(p)),
    ...manifest.files.filter((p) => !tracked.has(p)),
  ]);
  const changed = [];
  for (const path of [...candidates].sort()) {
    const info = await deps.fs.lstat(`${root}/${path}`);
    if (!info) continue;
    const content = info.isSymlink ? new Uint8Array() : await deps.fs.readFile(`${root}/${path}`);
    changed.push({ path, mode: (info.mode ?? 0).toString(8), size: info.size, hash: sha256(content) });
  }
  return {
    value: fingerprint({
      head,
      tree,
      manifest: manifest.files,
      deleted: manifest.deleted,
      rules,
      options,
      changed,
    }),
    head,
  };
}

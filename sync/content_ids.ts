/**
 * Content ids of the manifest's files, as git blob ids: taken from the index where the work tree
 * matches it (nothing read), hashed by `git hash-object` for dirty and untracked files, computed from
 * the link text for symlinks. FIFOs, sockets and devices never reach this (see buildManifest).
 */
import { createHash } from "node:crypto";
import type { Deps } from "../core/deps.ts";
import { syncError } from "../core/errors.ts";
import type { Manifest } from "./manifest.ts";
import { byIndex, encodePieces } from "./chunked.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** git's blob id of the given bytes (SHA-1 object format). */
function blobId(content: Uint8Array): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

/** `git hash-object --stdin-paths` reads lines and C-unquotes a leading `"`: such paths are read here. */
function lineSafe(path: string): boolean {
  return !/[\n\r]/.test(path) && !path.startsWith('"');
}

/** The content id of every file of the manifest, aligned with its files. */
export async function contentIds(
  deps: Pick<Deps, "proc" | "fs">,
  manifest: Manifest,
): Promise<string[]> {
  const root = manifest.gitRoot;
  const ids: string[] = new Array(manifest.files.length);
  const viaGit: number[] = [];
  for (let i = 0; i < manifest.files.length; i++) {
    const path = manifest.files[i];
    const known = manifest.indexIds.get(path);
    if (known) ids[i] = known;
    else if (manifest.symlinks.has(path)) {
      ids[i] = blobId(encoder.encode(await deps.fs.readLink(`${root}/${path}`)));
    } else if (lineSafe(path)) viaGit.push(i);
    else ids[i] = blobId(await deps.fs.readFile(`${root}/${path}`));
  }
  if (viaGit.length) {
    // --no-filters: the bytes on disk, and no clean filter (git-lfs…) is started per file.
    const result = await deps.proc.run("git", ["hash-object", "--no-filters", "--stdin-paths"], {
      cwd: root,
      stdin: encodePieces(byIndex(viaGit, (i) => manifest.files[i] + "\n")),
    });
    const lines = decoder.decode(result.stdout).split("\n");
    if (result.code !== 0 || lines.length < viaGit.length) {
      throw syncError(
        `git hash-object failed in ${root}: ${decoder.decode(result.stderr).trim()}`,
        "check the repository with git status",
      );
    }
    viaGit.forEach((fileIndex, i) => (ids[fileIndex] = lines[i]));
  }
  return ids;
}

/**
 * The box-side record of what was sent (`<id> <path>\0` per file, sorted by path): the sync-state
 * that lets the next transfer find same-size edits that rsync's size+mtime check would skip.
 */
export function idRecords(files: string[], ids: string[]): Uint8Array {
  return encodePieces(byIndex(files.length, (i) => `${ids[i]} ${files[i]}\0`));
}

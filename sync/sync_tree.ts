/**
 * The tree a run syncs: its summary (counts and warnings, for the preflight), its fingerprint (for the
 * skip) and, on demand, the full manifest with content ids (for a transfer). openSyncTree answers an
 * unchanged tree from the manifest memo (sync/manifest_memo.ts) and builds everything from git otherwise,
 * writing the memo for next time.
 */
import type { Deps, FileInfo } from "../core/deps.ts";
import { buildManifest, type Manifest } from "./manifest.ts";
import { fingerprintOf, headAndTree, type LocalFingerprint, localFingerprint } from "./fingerprint.ts";
import { readStatus } from "./git_listing.ts";
import {
  fileSignature,
  type ManifestMemo,
  type ManifestSummary,
  MEMO_FORMAT,
  memoable,
  memoPath,
  parseMemo,
  rulesDigest,
  summaryOf,
} from "./manifest_memo.ts";
import type { Rule } from "./rules.ts";
import { GIT_INDEX_PATH } from "./git_queries.ts";

export interface SyncTree {
  summary: ManifestSummary;
  /** "memo" when the summary and fingerprint came from the manifest memo. */
  source: "memo" | "git";
  /** The fingerprint value and HEAD; computed while the lease is found. */
  fingerprint: Promise<Pick<LocalFingerprint, "value" | "head">>;
  /** The manifest and its exact fingerprint (with content ids), for a transfer; built at most once. */
  full(): Promise<{ manifest: Manifest; fingerprint: LocalFingerprint }>;
  /** Ends when the memo is written (or was not to be): awaited before exit, so no half-written cache remains. */
  settled: Promise<void>;
}

type FingerprintOptions = { delete: boolean; checksum: boolean };

/** A tree from a manifest already built (sync-plan, tests): no memo. */
export function treeOf(
  deps: Pick<Deps, "proc" | "fs">,
  manifest: Manifest,
  ruleTexts: string[],
  options: FingerprintOptions,
): SyncTree {
  const fingerprint = localFingerprint(deps, manifest, ruleTexts, options);
  fingerprint.catch(() => {}); // a failure is the sync step's error, where it is awaited
  return {
    summary: summaryOf(manifest),
    source: "git",
    fingerprint,
    full: async () => ({ manifest, fingerprint: await fingerprint }),
    settled: Promise.resolve(),
  };
}

type TreeDeps = Pick<Deps, "proc" | "fs" | "env" | "system" | "clock">;

export interface SyncTreeRequest {
  gitRoot: string;
  rules: Rule[];
  ruleTexts: string[];
  include?: string[];
  options: FingerprintOptions;
}

/** The tree at gitRoot: from the memo when git's view is unchanged, else built (and memoised). */
export async function openSyncTree(deps: TreeDeps, request: SyncTreeRequest): Promise<SyncTree> {
  const { gitRoot, options } = request;
  const path = memoPath(deps, gitRoot);
  const rules = rulesDigest(request.ruleTexts, request.include);
  const status = readStatus(deps, gitRoot);
  status.catch(() => {}); // awaited below, where its failure is the error
  const [memoText, indexPath] = await Promise.all([
    deps.fs.readTextFile(path).catch(() => null),
    gitIndexPath(deps, gitRoot),
  ]);
  const memo = memoText === null ? null : parseMemo(memoText);
  if (memo && indexPath && memo.gitRoot === gitRoot && memo.rules === rules) {
    const { digest } = await status;
    const index = fileSignature(await deps.fs.lstat(indexPath));
    if (memo.index === index && memo.status === digest && await unchanged(deps, memo.looked)) {
      const fingerprint = headAndTree(deps, gitRoot).then(({ head, tree }) => ({
        value: fingerprintOf({ head, tree, options, treeDigest: memo.treeDigest }),
        head,
      }));
      fingerprint.catch(() => {});
      let built: ReturnType<SyncTree["full"]> | null = null;
      return {
        summary: memo.summary,
        source: "memo",
        fingerprint,
        full: () => (built ??= build(deps, request, readStatus(deps, gitRoot)).then(({ full }) => full())),
        settled: Promise.resolve(),
      };
    }
  }
  const built = await build(deps, request, status, indexPath);
  if (built.memo) {
    // Written once the fingerprint is known, before the sync step reads it: a later run can rely on it.
    const memoWritten = built.memo.then((memo) => memo ? writeMemo(deps, path, memo) : undefined)
      .catch(() => {});
    const fingerprint = Promise.all([built.fingerprint, memoWritten]).then(([value]) => value);
    fingerprint.catch(() => {});
    return { ...built, fingerprint, settled: memoWritten };
  }
  return built;
}

/** Builds from git; with indexPath, also what the memo of this build would be (null when not memoable). */
async function build(
  deps: TreeDeps,
  request: SyncTreeRequest,
  status: ReturnType<typeof readStatus>,
  indexPath?: string | null,
): Promise<SyncTree & { memo?: Promise<ManifestMemo | null> }> {
  const { gitRoot } = request;
  const looked = new Map<string, FileInfo | null>();
  const fs: Deps["fs"] = Object.assign(Object.create(deps.fs), {
    lstat: async (file: string) => {
      const info = await deps.fs.lstat(file);
      looked.set(file, info);
      return info;
    },
  });
  const indexBefore = indexPath ? fileSignature(await deps.fs.lstat(indexPath)) : null;
  const manifest = await buildManifest({ proc: deps.proc, fs }, gitRoot, request.rules, {
    include: request.include,
    status,
  });
  const tree = treeOf({ proc: deps.proc, fs }, manifest, request.ruleTexts, request.options);
  if (!indexPath || !indexBefore) return tree;
  const memo = (async (): Promise<ManifestMemo | null> => {
    const [{ treeDigest }, { digest }] = await Promise.all([
      tree.fingerprint as Promise<LocalFingerprint>,
      status,
    ]);
    const index = fileSignature(await deps.fs.lstat(indexPath));
    if (index !== indexBefore || !memoable(looked, deps.clock.now())) return null;
    return {
      format: MEMO_FORMAT,
      gitRoot,
      rules: rulesDigest(request.ruleTexts, request.include),
      index,
      status: digest,
      looked: [...looked].map(([file, info]) => [file, fileSignature(info)]),
      summary: tree.summary,
      treeDigest,
    };
  })();
  memo.catch(() => {});
  return { ...tree, memo };
}

/** Does every file the memo's manifest looked at still look the same? */
async function unchanged(deps: Pick<Deps, "fs">, looked: [string, string][]): Promise<boolean> {
  const now = await Promise.all(looked.map(async ([file]) => fileSignature(await deps.fs.lstat(file))));
  return looked.every(([, signature], i) => now[i] === signature);
}

/** git's index file (GIT_INDEX_FILE and linked worktrees respected), or null when git cannot say. */
async function gitIndexPath(deps: Pick<Deps, "proc">, gitRoot: string): Promise<string | null> {
  const result = await deps.proc.run("git", GIT_INDEX_PATH, { cwd: gitRoot });
  if (result.code !== 0) return null;
  const path = new TextDecoder().decode(result.stdout).trim();
  return path.startsWith("/") ? path : `${gitRoot}/${path}`;
}

async function writeMemo(deps: Pick<Deps, "fs">, path: string, memo: ManifestMemo): Promise<void> {
  await deps.fs.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  await deps.fs.writeTextFile(path, JSON.stringify(memo), { mode: 0o600 });
}

/**
 * The sync preflight, run before anything paid exists: GNU rsync present and new enough, the effective
 * rules (built-ins, config, .crabboxignore), the manifest, the size guardrails (exit 6) and the git
 * facts hydration needs (origin, base ref, branch).
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import { configError, CrabboxError } from "../core/errors.ts";
import { formatBytes, formatCount } from "../core/format.ts";
import type { CrabboxConfig } from "../config/schema.ts";
import { MAX_CONFIG_BYTES } from "../config/load.ts";
import type { SyncOptions } from "./options.ts";
import { buildManifest, findGitRoot, type Manifest } from "./manifest.ts";
import { openSyncTree } from "./sync_tree.ts";
import { GIT_BRANCH, GIT_ORIGIN_HEAD, RSYNC_VERSION } from "./git_queries.ts";
import type { ManifestSummary } from "./manifest_memo.ts";
import { boxOrigin } from "./origin.ts";
import { describeNonRegular } from "./plan.ts";
import { builtinRules, parseRuleLines, type Rule } from "./rules.ts";

interface SyncCandidateRequest {
  /** The repository root when already known; else it is found from the working directory. */
  gitRoot: string | null;
  sync: CrabboxConfig["sync"];
}

interface SyncCandidate {
  gitRoot: string;
  rules: Rule[];
  manifest: Manifest;
  crabboxignore: boolean;
}

/** The effective rules: built-ins, config (sync.exclude), then the repository's .crabboxignore. */
async function effectiveRules(
  deps: Deps,
  gitRoot: string,
  sync: CrabboxConfig["sync"],
): Promise<{ rules: Rule[]; crabboxignore: boolean }> {
  const rules: Rule[] = [
    ...builtinRules(),
    ...sync.exclude.flatMap((line) => parseRuleLines(line, "repo")),
  ];
  const ignoreFile = `${gitRoot}/.crabboxignore`;
  const ignoreText = await readCrabboxignore(deps, ignoreFile);
  if (ignoreText !== null) rules.push(...parseRuleLines(ignoreText, "crabboxignore", ignoreFile));
  return { rules, crabboxignore: ignoreText !== null };
}

const warnReincluded = (out: Output, paths: string[]) => {
  for (const path of paths) {
    out.warn(`${path} matches a secret pattern but a rule re-includes it; it will be synced`);
  }
};

/** The sync candidate: git root, effective rules (built-ins, config, .crabboxignore) and manifest. */
export async function collectSyncCandidate(
  deps: Deps,
  out: Output,
  request: SyncCandidateRequest,
): Promise<SyncCandidate> {
  const gitRoot = request.gitRoot ?? await findGitRoot(deps, deps.fs.cwd());
  const { rules, crabboxignore } = await effectiveRules(deps, gitRoot, request.sync);
  const manifest = await buildManifest(deps, gitRoot, rules, { include: request.sync.include });
  warnReincluded(out, manifest.reincludedSecrets);
  return { gitRoot, rules, manifest, crabboxignore };
}

/** The .crabboxignore text, or null when there is none; never opens a FIFO or device, never reads > 1 MiB. */
async function readCrabboxignore(deps: Deps, path: string): Promise<string | null> {
  const info = await deps.fs.lstat(path);
  if (!info) return null;
  if ((!info.isFile && !info.isSymlink) || info.size > MAX_CONFIG_BYTES) {
    throw configError(
      `${path} is ${info.isFile ? "larger than 1 MiB" : "not a regular file"}`,
      "make .crabboxignore a short text file with one pattern per line",
    );
  }
  try {
    return await deps.fs.readTextFile(path);
  } catch (error) {
    throw configError(`cannot read ${path}: ${(error as Error).message}`, "check the file's permissions");
  }
}

export interface SyncPreflightRequest extends SyncCandidateRequest {
  checksum: boolean;
  fullResync: boolean;
  forceSyncLarge: boolean;
  allowMassDelete: boolean;
  /** false with --no-git-hydrate. */
  gitHydrate: boolean;
  /** origin's URL as the settings read it for the repo name (null: none), so git is asked once. */
  originUrl: string | null;
}

/**
 * Builds the manifest and checks the guardrails before anything paid exists (not a git repo, rsync
 * missing, a tree too large: exit 6).
 */
export async function prepareSync(
  deps: Deps,
  out: Output,
  request: SyncPreflightRequest,
): Promise<SyncOptions> {
  const { sync } = request;
  const started = deps.clock.now();
  // rsync's check, the rules and the hydration facts are independent: asked at once, reported in order.
  const rsync = checkRsync(deps);
  rsync.catch(() => {}); // awaited first below: a missing rsync is the first thing to say
  const gitRoot = request.gitRoot ?? await findGitRoot(deps, deps.fs.cwd()).catch(async (error) => {
    await rsync;
    throw error;
  });
  const hydrateFacts = request.gitHydrate && sync.hydrate
    ? gitFacts(deps, out, gitRoot, sync, request.originUrl)
    : null;
  hydrateFacts?.catch(() => {});
  const rulesRead = effectiveRules(deps, gitRoot, sync);
  rulesRead.catch(() => {});
  await rsync;
  const { rules } = await rulesRead;
  const checksum = request.checksum || sync.checksum;
  const prune = sync.delete;
  const ruleTexts = rules.map((r) => `${r.include ? "!" : ""}${r.pattern}`);
  // The fingerprint is computed while the lease is found and probed (network waits); the sync step awaits it.
  const tree = await openSyncTree(deps, {
    gitRoot,
    rules,
    ruleTexts,
    include: sync.include,
    options: { delete: prune, checksum },
  });
  out.debug(
    `manifest: ${tree.source === "memo" ? "from the memo (git status unchanged)" : "built from git"}`,
  );
  const { summary } = tree;
  warnReincluded(out, summary.reincludedSecrets);
  // Named before anything is leased; the manifest already left them out, so nothing opens them.
  if (summary.nonRegular.length) out.warn(`skipping ${describeNonRegular(summary.nonRegular)}`);
  for (const secret of summary.excludedTrackedSecrets.slice(0, 5)) {
    out.warn(`tracked file ${secret.path} is not synced (secret-like: ${secret.rule})`);
  }
  checkGuardrails(out, sync, summary, request.forceSyncLarge || sync.allowLarge);
  const hydrate = await hydrateFacts;
  return {
    gitRoot,
    tree,
    checksum,
    skipUnchanged: sync.fingerprint,
    fullResync: request.fullResync,
    prune,
    massDeleteLimit: sync.massDeleteLimit,
    allowMassDelete: request.allowMassDelete,
    hydrate,
    source: `${deps.system.hostname()}:${gitRoot}`,
    timeoutSecs: sync.timeout,
    manifestMs: deps.clock.now() - started,
  };
}

function checkGuardrails(
  out: Output,
  sync: CrabboxConfig["sync"],
  manifest: ManifestSummary,
  allowLarge: boolean,
): void {
  const files = manifest.files;
  if (!allowLarge && (files >= sync.failFiles || manifest.bytes >= sync.failBytes)) {
    throw new CrabboxError(
      "sync",
      `sync candidate too large: ${formatCount(files)} files, ${formatBytes(manifest.bytes)} (limit ${
        formatCount(sync.failFiles)
      } files / ${formatBytes(sync.failBytes)})`,
      { hint: "see crabbox sync-plan, add .crabboxignore rules, or pass --force-sync-large" },
    );
  }
  if (files >= sync.warnFiles || manifest.bytes >= sync.warnBytes) {
    out.warn(
      `large sync: ${formatCount(files)} files, ${formatBytes(manifest.bytes)}; see crabbox sync-plan`,
    );
  }
}

async function gitFacts(
  deps: Deps,
  out: Output,
  gitRoot: string,
  sync: CrabboxConfig["sync"],
  originUrl: string | null,
): Promise<SyncOptions["hydrate"]> {
  const current = gitOutput(deps, gitRoot, GIT_BRANCH);
  const [base, branch] = await Promise.all([sync.baseRef || defaultBaseRef(deps, gitRoot, current), current]);
  // An unusable origin only means the commit travels in a bundle: no credentials ever reach the box.
  const verdict = boxOrigin(originUrl);
  if (verdict.origin === null) out.debug(`hydrate: ${verdict.reason}; the box gets a git bundle`);
  return { origin: verdict.origin, base, branch: branch ?? "" };
}

/** GNU rsync 3.2.3 or newer (--mkpath); openrsync and older versions fail before anything is leased. */
async function checkRsync(deps: Deps): Promise<void> {
  const hint = "install GNU rsync 3.2.3 or newer (apt install rsync / brew install rsync), or use --no-sync";
  if (!(await deps.proc.which("rsync"))) {
    throw new CrabboxError("sync", "rsync not found on PATH", { hint });
  }
  const out = new TextDecoder().decode((await deps.proc.run("rsync", RSYNC_VERSION)).stdout);
  const version = out.match(/rsync\s+version\s+v?(\d+)\.(\d+)\.(\d+)/);
  if (/openrsync/i.test(out) || !version) throw new CrabboxError("sync", "rsync is not GNU rsync", { hint });
  const [major, minor, patch] = version.slice(1).map(Number);
  if (major * 10000 + minor * 100 + patch < 30203) {
    throw new CrabboxError("sync", `rsync ${major}.${minor}.${patch} is too old`, { hint });
  }
}

async function gitOutput(deps: Deps, cwd: string, args: string[]): Promise<string | null> {
  const result = await deps.proc.run("git", args, { cwd });
  return result.code === 0 ? new TextDecoder().decode(result.stdout).trim() : null;
}

/** The short name of origin/HEAD, else the current branch (asked once, by the caller). */
async function defaultBaseRef(deps: Deps, gitRoot: string, current: Promise<string | null>): Promise<string> {
  const originHead = await gitOutput(deps, gitRoot, GIT_ORIGIN_HEAD);
  if (originHead) return originHead.replace(/^origin\//, "");
  return (await current) ?? "";
}

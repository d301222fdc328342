/**
 * Turns the loaded config plus flags into what the use cases need: the lease shape, the owner, the
 * repo name, the sync manifest. All user mistakes surface here, before any API call.
 */
import { type CommandContext, isTruthy } from "./context.ts";
import { startAutoSweep } from "../lease/auto_sweep.ts";
import { listLeaseRecords } from "../lease/store.ts";
import type { LeaseCreateFlags } from "./lease_options.ts";
import { configError, CrabboxError, usageError } from "../core/errors.ts";
import { parseDurationFlag } from "../core/duration.ts";
import { formatDuration } from "../core/duration.ts";
import { loadConfig, type LoadedConfig, MAX_CONFIG_BYTES } from "../config/load.ts";
import { ownerLabel } from "../labels/ownership.ts";
import { type LeaseShape, requestedSlug } from "../lease/acquire.ts";
import type { StatusSettings } from "../lease/status.ts";
import { buildManifest, findGitRoot, type Manifest } from "../sync/manifest.ts";
import { localFingerprint } from "../sync/fingerprint.ts";
import { boxOrigin } from "../sync/origin.ts";
import { describeNonRegular } from "../sync/plan.ts";
import { formatBytes, formatCount } from "../core/format.ts";
import type { SyncOptions } from "../lease/sync_step.ts";
import type { RunContext } from "../lease/run.ts";
import { builtinRules, parseRuleLines, type Rule } from "../sync/rules.ts";
import { repoNameFrom } from "../sync/repo_name.ts";
import { architectureProblem, serverTypesFor } from "../lease/classes.ts";

export interface BaseSettings {
  config: LoadedConfig;
  endpoint: string | undefined;
  owner: string;
  gitRoot: string | null;
  status: StatusSettings;
}

export interface RunSettings extends BaseSettings {
  shape: LeaseShape;
  repo: string;
}

async function tryGitRoot(ctx: CommandContext): Promise<string | null> {
  try {
    return await findGitRoot(ctx.deps, ctx.deps.fs.cwd());
  } catch {
    return null;
  }
}

export async function loadBaseSettings(
  ctx: CommandContext,
  flags: Record<string, unknown> = {},
): Promise<BaseSettings> {
  const gitRoot = await tryGitRoot(ctx);
  const config = await loadConfig(ctx.deps, {
    gitRoot,
    profile: ctx.globals.profile,
    flags: { provider: ctx.globals.provider, ...flags },
  });
  for (const warning of config.warnings) ctx.out.warn(warning);
  const owner = ownerLabel(config.config.owner, ctx.deps.system);
  const ports = [config.config.ssh.port, ...config.config.ssh.fallbackPorts];
  return {
    config,
    endpoint: config.config.hetzner.endpoint || undefined,
    owner,
    gitRoot,
    status: {
      sshUser: config.config.ssh.user,
      sshPorts: [...new Set(ports)],
      workRoot: config.config.workRoot,
      connectTimeoutSecs: config.config.ssh.connectTimeout,
    },
  };
}

export async function loadRunSettings(ctx: CommandContext, flags: LeaseCreateFlags): Promise<RunSettings> {
  const flagValues: Record<string, unknown> = {
    class: flags.class,
    serverType: flags.type,
    "hetzner.location": flags.location,
    "hetzner.image": flags.image,
    ttl: parseDurationFlag("--ttl", flags.ttl, 60),
    idleTimeout: parseDurationFlag("--idle-timeout", flags.idleTimeout, 60),
    architecture: flags.arch,
  };
  if (flags.bootstrapTimeout !== undefined) {
    flagValues["lease.bootstrapTimeout"] = parseDurationFlag("--bootstrap-timeout", flags.bootstrapTimeout);
  }
  const base = await loadBaseSettings(ctx, flagValues);
  const { config } = base;
  const ttlSecs = config.config.ttl;
  const idleSecs = config.config.idleTimeout;
  if (idleSecs > ttlSecs) {
    throw usageError(
      `idle timeout ${formatDuration(idleSecs)} is longer than the ttl ${formatDuration(ttlSecs)}`,
      "pass a shorter --idle-timeout or a longer --ttl",
    );
  }
  const location = config.config.hetzner.location;
  const architecture = config.config.architecture;
  const typeProblem = architectureProblem(
    serverTypesFor(config.config.class, config.config.serverType || undefined, architecture),
    architecture,
  );
  if (typeProblem) {
    throw configError(
      `${typeProblem} (architecture: ${config.sources.architecture}; type: ${
        config.sources.serverType === "default" ? config.sources.class : config.sources.serverType
      })`,
      "pick a class (it maps to the CAX types), pass --type cax21, or drop --arch arm64",
    );
  }
  const repo = base.gitRoot ? await repoNameFrom(ctx.deps, base.gitRoot) : "workspace";
  const persist = config.config.ssh.controlPersist;
  return {
    ...base,
    repo,
    shape: {
      className: config.config.class,
      serverType: config.config.serverType || undefined,
      architecture,
      locations: location ? [location] : config.config.hetzner.locations,
      image: config.config.hetzner.image,
      ttlSecs,
      idleSecs,
      keep: !!flags.keep,
      slug: requestedSlug(flags.slug) ?? undefined,
      profile: config.config.profile,
      owner: base.owner,
      repo,
      bootstrapTimeoutSecs: config.config.lease.bootstrapTimeout,
      ipTimeoutSecs: config.config.lease.ipTimeout,
      sshUser: base.status.sshUser,
      sshPorts: base.status.sshPorts,
      workRoot: base.status.workRoot,
      connectTimeoutSecs: base.status.connectTimeoutSecs,
      controlPersist: persist > 0,
      createAttempts: config.config.lease.createAttempts,
      budget: { ...config.config.budget, graceSecs: config.config.sweep.grace },
    },
  };
}

/**
 * Starts the automatic sweep next to a networked command unless --no-sweep, CRABBOX_NO_SWEEP=1 or
 * sweep.auto: false. `protect` names leases this command works on.
 */
export async function startSweep(
  ctx: CommandContext,
  settings: BaseSettings,
  protect: string[] = [],
): Promise<void> {
  if (ctx.globals.sweep === false || isTruthy(ctx.deps.env.get("CRABBOX_NO_SWEEP"))) return;
  if (!settings.config.config.sweep.auto) return;
  const api = ctx.hetzner(settings.endpoint);
  const running = await startAutoSweep(ctx.deps, api, ctx.out, {
    endpoint: ctx.endpointKey(settings.endpoint),
    graceSecs: settings.config.config.sweep.grace,
    budgetMs: settings.config.config.sweep.budget * 1000,
    minIntervalMs: settings.config.config.sweep.minInterval * 1000,
    protectLeaseIds: new Set(protect),
  });
  if (running) ctx.addBackground(() => running.finish());
}

/** What the run use case needs from this invocation. */
export function runContext(ctx: CommandContext, settings: BaseSettings): RunContext {
  return {
    deps: ctx.deps,
    api: ctx.hetzner(settings.endpoint),
    out: ctx.out,
    signal: ctx.interrupt.signal,
    repoRoot: settings.gitRoot,
    setSecondInterruptNote: (note) => (ctx.onSecondInterrupt = note),
    prices: ctx.prices(settings.endpoint),
  };
}

/** SPEC §11.6: with policy.jobsOnly in the repo config, only named jobs run. */
export function refuseUnderJobsOnly(config: LoadedConfig): void {
  if (!config.config.policy.jobsOnly) return;
  throw new CrabboxError(
    "policy",
    "policy.jobsOnly is set in .crabbox.yaml: use 'crabbox job list' and 'crabbox job run <name>'",
    { hint: `configured jobs: ${Object.keys(config.jobs).sort().join(", ") || "none"}` },
  );
}

/** The lease ids an --id may name, from the id itself or local records (the sweep must spare them). */
export async function leaseIdsFor(ctx: CommandContext, id: string): Promise<string[]> {
  const records = await listLeaseRecords(ctx.deps);
  return [
    id,
    ...records.filter((r) => r.slug === id || String(r.serverId) === id || r.serverName === id).map((r) =>
      r.id
    ),
  ];
}

/** The sync candidate: git root, effective rules (built-ins, config, .crabboxignore) and manifest. */
export async function collectManifest(
  ctx: CommandContext,
  settings: BaseSettings,
): Promise<{ gitRoot: string; rules: Rule[]; manifest: Manifest; crabboxignore: boolean }> {
  const gitRoot = settings.gitRoot ?? await findGitRoot(ctx.deps, ctx.deps.fs.cwd());
  const rules: Rule[] = [
    ...builtinRules(),
    ...settings.config.config.sync.exclude.flatMap((line) => parseRuleLines(line, "repo")),
  ];
  const ignoreFile = `${gitRoot}/.crabboxignore`;
  const ignoreText = await readCrabboxignore(ctx, ignoreFile);
  const crabboxignore = ignoreText !== null;
  if (ignoreText !== null) rules.push(...parseRuleLines(ignoreText, "crabboxignore", ignoreFile));
  const manifest = await buildManifest(ctx.deps, gitRoot, rules, {
    include: settings.config.config.sync.include,
  });
  for (const path of manifest.reincludedSecrets) {
    ctx.out.warn(`${path} matches a secret pattern but a rule re-includes it; it will be synced`);
  }
  return { gitRoot, rules, manifest, crabboxignore };
}

/** The .crabboxignore text, or null when there is none; never opens a FIFO or device, never reads > 1 MiB. */
async function readCrabboxignore(ctx: CommandContext, path: string): Promise<string | null> {
  const info = await ctx.deps.fs.lstat(path);
  if (!info) return null;
  if ((!info.isFile && !info.isSymlink) || info.size > MAX_CONFIG_BYTES) {
    throw configError(
      `${path} is ${info.isFile ? "larger than 1 MiB" : "not a regular file"}`,
      "make .crabboxignore a short text file with one pattern per line",
    );
  }
  try {
    return await ctx.deps.fs.readTextFile(path);
  } catch (error) {
    throw configError(`cannot read ${path}: ${(error as Error).message}`, "check the file's permissions");
  }
}

export interface SyncFlags {
  checksum?: boolean;
  fullResync?: boolean;
  forceSyncLarge?: boolean;
  allowMassDelete?: boolean;
  /** false with --no-git-hydrate. (`--no-hydrate` is the Go CLI's Actions flag and changes nothing.) */
  gitHydrate?: boolean;
}

/**
 * Builds the manifest and checks the guardrails before anything paid exists (not a git repo, rsync
 * missing, a tree too large: exit 6).
 */
export async function prepareSync(
  ctx: CommandContext,
  settings: BaseSettings,
  flags: SyncFlags,
): Promise<SyncOptions> {
  const { config } = settings;
  const started = ctx.deps.clock.now();
  await checkRsync(ctx);
  const { gitRoot, rules, manifest } = await collectManifest(ctx, settings);
  // Named before anything is leased; the manifest already left them out, so nothing opens them.
  if (manifest.nonRegular.length) ctx.out.warn(`skipping ${describeNonRegular(manifest.nonRegular)}`);
  for (const secret of manifest.excludedTrackedSecrets.slice(0, 5)) {
    ctx.out.warn(`tracked file ${secret.path} is not synced (secret-like: ${secret.rule})`);
  }
  const allowLarge = !!flags.forceSyncLarge || config.config.sync.allowLarge;
  const files = manifest.files.length;
  if (
    !allowLarge &&
    (files >= config.config.sync.failFiles || manifest.bytes >= config.config.sync.failBytes)
  ) {
    throw new CrabboxError(
      "sync",
      `sync candidate too large: ${formatCount(files)} files, ${formatBytes(manifest.bytes)} (limit ${
        formatCount(config.config.sync.failFiles)
      } files / ${formatBytes(config.config.sync.failBytes)})`,
      { hint: "see crabbox sync-plan, add .crabboxignore rules, or pass --force-sync-large" },
    );
  }
  if (files >= config.config.sync.warnFiles || manifest.bytes >= config.config.sync.warnBytes) {
    ctx.out.warn(
      `large sync: ${formatCount(files)} files, ${formatBytes(manifest.bytes)}; see crabbox sync-plan`,
    );
  }
  const checksum = !!flags.checksum || config.config.sync.checksum;
  const prune = config.config.sync.delete;
  const ruleTexts = rules.map((r) => `${r.include ? "!" : ""}${r.pattern}`);
  // Computed while the lease is found and probed (network waits); the sync step awaits it.
  const fingerprint = localFingerprint(ctx.deps, manifest, ruleTexts, { delete: prune, checksum });
  fingerprint.catch(() => {}); // a failure is the sync step's error, where it is awaited
  const hydrateOn = flags.gitHydrate !== false && config.config.sync.hydrate;
  let hydrate: SyncOptions["hydrate"] = null;
  if (hydrateOn) {
    const [originUrl, base, branch] = await Promise.all([
      gitOutput(ctx, gitRoot, ["config", "--get", "remote.origin.url"]),
      config.config.sync.baseRef || defaultBaseRef(ctx, gitRoot),
      gitOutput(ctx, gitRoot, ["branch", "--show-current"]),
    ]);
    // An unusable origin only means the commit travels in a bundle: no credentials ever reach the box.
    const verdict = boxOrigin(originUrl);
    if (verdict.origin === null) ctx.out.debug(`hydrate: ${verdict.reason}; the box gets a git bundle`);
    hydrate = { origin: verdict.origin, base, branch: branch ?? "" };
  }
  return {
    gitRoot,
    manifest,
    fingerprint,
    checksum,
    fullResync: !!flags.fullResync,
    prune,
    massDeleteLimit: config.config.sync.massDeleteLimit,
    allowMassDelete: !!flags.allowMassDelete || isTruthy(ctx.deps.env.get("CRABBOX_ALLOW_MASS_DELETIONS")),
    rules: ruleTexts,
    hydrate,
    source: `${ctx.deps.system.hostname()}:${gitRoot}`,
    timeoutSecs: config.config.sync.timeout,
    manifestMs: ctx.deps.clock.now() - started,
  };
}

/** GNU rsync 3.2.3 or newer (--mkpath); openrsync and older versions fail before anything is leased. */
async function checkRsync(ctx: CommandContext): Promise<void> {
  const hint = "install GNU rsync 3.2.3 or newer (apt install rsync / brew install rsync), or use --no-sync";
  if (!(await ctx.deps.proc.which("rsync"))) {
    throw new CrabboxError("sync", "rsync not found on PATH", { hint });
  }
  const out = new TextDecoder().decode((await ctx.deps.proc.run("rsync", ["--version"])).stdout);
  const version = out.match(/rsync\s+version\s+v?(\d+)\.(\d+)\.(\d+)/);
  if (/openrsync/i.test(out) || !version) throw new CrabboxError("sync", "rsync is not GNU rsync", { hint });
  const [major, minor, patch] = version.slice(1).map(Number);
  if (major * 10000 + minor * 100 + patch < 30203) {
    throw new CrabboxError("sync", `rsync ${major}.${minor}.${patch} is too old`, { hint });
  }
}

async function gitOutput(ctx: CommandContext, cwd: string, args: string[]): Promise<string | null> {
  const result = await ctx.deps.proc.run("git", args, { cwd });
  return result.code === 0 ? new TextDecoder().decode(result.stdout).trim() : null;
}

/** The short name of origin/HEAD, else the current branch. */
async function defaultBaseRef(ctx: CommandContext, gitRoot: string): Promise<string> {
  const originHead = await gitOutput(ctx, gitRoot, [
    "symbolic-ref",
    "--short",
    "-q",
    "refs/remotes/origin/HEAD",
  ]);
  if (originHead) return originHead.replace(/^origin\//, "");
  return (await gitOutput(ctx, gitRoot, ["branch", "--show-current"])) ?? "";
}

/**
 * Acquire a fresh lease (SPEC §5.1): keys, labelled SSH key resource, fully-labelled create request,
 * IP wait, pinned known_hosts, readiness loop — and rollback of everything on any failure or Ctrl-C.
 */
import type { HetznerApi, Labels, Server } from "../providers/hetzner/port.ts";
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import { CrabboxError, timeoutError, usageError } from "../core/errors.ts";
import { formatDurationMs } from "../core/duration.ts";
import { formatIso } from "../core/format.ts";
import {
  allocateSlug,
  newLeaseId,
  normalizeSlug,
  serverName,
  slugFromLeaseId,
  sshKeyName,
} from "../labels/ids.ts";
import { encodeCreateLabels } from "../labels/codec.ts";
import { termsOf } from "../providers/hetzner/terms.ts";
import { crabboxServers } from "../labels/selectors.ts";
import { buildUserData } from "../providers/hetzner/user_data.ts";
import { ActionWaiter, type WatchedAction } from "../providers/hetzner/action_waiter.ts";
import { createLeaseDir, type LeasePaths, type LeaseRecord, pinHostKey, writeLeaseRecord } from "./store.ts";
import { adoptBoxKeys } from "./store.ts";
import { createWithFallback } from "./create_server.ts";
import { type Arch, serverTypesFor } from "./classes.ts";
import { ensureSshKey } from "./ssh_key.ts";
import type { Box } from "./box.ts";
import { boxFor } from "./pool.ts";
import { BootstrapTimeoutError, waitForReady } from "./readiness.ts";
import { rollback } from "./rollback.ts";
import type { LeaseResources } from "./leftovers.ts";
import { type BudgetPolicy, enforceBudget } from "./budget.ts";
import { formatMoney, priceOf, type PriceTable } from "./cost.ts";
import type { PriceSource } from "./prices.ts";
import { ensurePondNetwork, locationsInZone } from "./pond_network.ts";
import { refreshPondHosts } from "./pond_hosts.ts";
import { DEFAULT_POND_RANGE, privateIpOf } from "../labels/pond.ts";
import { type Allowlist, blockedByFirewallHint, createWithFirewall } from "./firewall.ts";

export interface LeaseShape {
  className: string;
  serverType?: string;
  /** amd64 (default) or arm64: a class then maps to Hetzner's CAX types. */
  architecture?: Arch;
  locations: string[];
  image: string;
  ttlSecs: number;
  idleSecs: number;
  keep: boolean;
  slug?: string;
  /** A normalized pond name (labels/pond.ts): the box joins the pond's private network. */
  pond?: string;
  /** Config pond.ipRange: where a new pond network takes its /24. */
  pondIpRange?: string;
  profile: string;
  owner: string;
  repo: string;
  pool?: string;
  bootstrapTimeoutSecs: number;
  ipTimeoutSecs: number;
  sshUser: string;
  sshPorts: number[];
  workRoot: string;
  connectTimeoutSecs: number;
  /** Seconds an idle ControlMaster lingers; 0 turns multiplexing off. */
  controlPersist: number;
  /** ssh -F: "none", or the user's ssh.configFile. */
  sshConfigFile: string;
  /** The remote command whose exit 0 says the box is ready (default `crabbox-ready`, from user data). */
  readyCommand?: string;
  /** Whole acquires tried when the bootstrap times out (config lease.createAttempts, default 2). */
  createAttempts: number;
  /** budget.* (docs/cost.md): checked against the listing before anything is created. */
  budget: BudgetPolicy;
  /** A fork (lease/checkpoint_fork.ts): `image` is then the checkpoint's snapshot id. */
  fromCheckpoint?: { id: string; sourceLease: string };
  /** ssh.allowCidrs / --allow-cidr: a Hetzner Firewall admits ssh only from these; empty or absent: none. */
  allowCidrs?: string[];
  /** Where allowCidrs came from, for the error when ssh never answers. */
  allowCidrsSource?: string;
}

export interface AcquiredLease {
  leaseId: string;
  slug: string;
  server: Server;
  box: Box;
  paths: LeasePaths;
  sshKeyId: number;
  acquireMs: number;
  bootstrapMs: number;
}

export interface AcquireContext {
  deps: Deps;
  api: HetznerApi;
  out: Output;
  /** Aborted by Ctrl-C: cancels waits; rollback then runs on its own budget. */
  signal: AbortSignal;
  repoRoot: string | null;
  /** Called as soon as a server exists, so a second Ctrl-C can say what may remain. */
  onResources?: (resources: LeaseResources) => void;
  /** Server-type prices for the budget and the "leasing … at €…/h" line; absent: unknown ("?"). */
  prices?: PriceSource;
}

/**
 * SPEC §5.1 step 9: a bootstrap timeout is retried with a fresh lease (the first was rolled back).
 * `waitForSsh: false` (warmup --no-wait) returns once the server has its IPv4, still `provisioning`;
 * `status --wait` or `run --id` completes readiness (bootstrapMs is then 0).
 */
export async function acquireLease(
  ctx: AcquireContext,
  shape: LeaseShape,
  options: { waitForSsh?: boolean } = {},
): Promise<AcquiredLease> {
  for (let attempt = 1;; attempt++) {
    try {
      return await acquireOnce(ctx, shape, options.waitForSsh !== false);
    } catch (error) {
      if (!(error instanceof BootstrapTimeoutError) || attempt >= shape.createAttempts) throw error;
      const leaseId = error.message.match(/cbx_[0-9a-f]{12}/)?.[0] ?? "the lease";
      ctx.out.warn(`bootstrap timed out on ${leaseId}; retrying once with a fresh lease`);
    }
  }
}

async function acquireOnce(
  ctx: AcquireContext,
  shape: LeaseShape,
  waitForSsh: boolean,
): Promise<AcquiredLease> {
  const { deps, api, out, signal } = ctx;
  const started = deps.clock.now();
  const leaseId = newLeaseId((n) => deps.random.bytes(n));

  const prices = ctx.prices?.table() ?? Promise.resolve(null);
  // Listing first sets the Hetzner clock offset, tells which slugs are taken and what the budget holds.
  const existing = await api.listServers({ labelSelector: crabboxServers() }, { signal });
  const serverTypes = serverTypesOf(shape);
  const table = await prices;
  enforceBudget(existing, {
    policy: shape.budget,
    owner: shape.owner,
    table,
    nowMs: api.now(),
    plan: { count: 1, serverTypes, locations: shape.locations },
    warn: (message) => out.warn(message),
  });
  const wanted = requestedSlug(shape.slug);
  const slug = allocateSlug(
    wanted ?? slugFromLeaseId(leaseId),
    leaseId,
    takenSlugs(existing, shape.pond, wanted),
  );
  if (!slug) {
    throw usageError("could not allocate a unique slug", "pass another --slug, or stop unused boxes");
  }
  const name = serverName(slug, leaseId);
  const keyName = sshKeyName(leaseId);
  // Adopted or made before anything of the lease exists; an empty one is the sweep's after the grace.
  const notify = (message: string) => out.progress(message);
  const network = shape.pond
    ? await ensurePondNetwork(
      api,
      {
        pond: shape.pond,
        owner: shape.owner,
        ipRange: shape.pondIpRange ?? DEFAULT_POND_RANGE,
        locations: shape.locations,
      },
      notify,
      signal,
    )
    : null;
  const locations = network ? locationsInZone(network, shape.locations) : shape.locations;
  out.progress(`lease ${leaseId} slug=${slug} (new) class=${shape.className} owner=${shape.owner}`);
  if (termsOf(api).priced) out.progress(leasingLine(table, serverTypes[0], locations[0] ?? null));
  out.phase("create", `creating ${name} (${shape.className})`);

  const paths = await createLeaseDir(deps, leaseId);
  let server: Server | null = null;
  let box: Box | null = null;
  let keyId: number | null = null;
  let createAttempted = false;
  let keyAttempted = false;
  const allow = allowlistOf(shape);
  let firewallIds: number[] = [];
  try {
    await generateKeys(deps, paths, leaseId);
    // Pinned before the server exists, so a lease cut short here can still be opened later.
    await pinHostKey(deps, leaseId);
    const clientPublicKey = (await deps.fs.readTextFile(paths.clientPub)).trim();
    keyAttempted = true;
    keyId = (await ensureSshKey(api, {
      name: keyName,
      publicKey: clientPublicKey,
      labels: keyLabels(leaseId, termsOf(api).label, shape.owner, Math.floor(api.now() / 1000)),
    }, signal)).id;
    ctx.onResources?.({ leaseId, serverId: null, serverName: name, keyId });

    const userData = buildUserData({
      clientPublicKey,
      hostPrivateKey: await deps.fs.readTextFile(paths.hostKey),
      hostPublicKey: (await deps.fs.readTextFile(paths.hostPub)).trim(),
      ports: shape.sshPorts,
      workRoot: shape.workRoot,
      sshUser: shape.sshUser,
      fork: shape.fromCheckpoint && { sourceLease: shape.fromCheckpoint.sourceLease, leaseId },
    });
    const labels = encodeCreateLabels({
      leaseId,
      slug,
      keep: shape.keep,
      className: shape.className,
      serverType: serverTypes[0],
      profile: shape.profile,
      providerKey: keyName,
      provider: termsOf(api).label,
      owner: shape.owner,
      repo: shape.repo,
      pool: shape.pool,
      pond: shape.pond,
      nowSecs: Math.floor(api.now() / 1000),
      ttlSecs: shape.ttlSecs,
      idleSecs: shape.idleSecs,
      createDeadlineSecs: shape.ipTimeoutSecs + shape.bootstrapTimeoutSecs + 300,
    });
    if (shape.fromCheckpoint) labels.checkpoint = shape.fromCheckpoint.id;
    createAttempted = true;
    const created = await createWithFirewall(api, allow, (firewalls) => {
      firewallIds = firewalls;
      return createWithFallback(
        api,
        {
          request: {
            name,
            image: shape.image,
            sshKeys: [keyName],
            userData,
            labels,
            firewalls,
            ...(network ? { networks: [network.id] } : {}),
          },
          serverTypes,
          locations,
        },
        (message) => out.progress(message),
        signal,
      );
    }, {
      signal,
      onFirewall: (f) =>
        out.progress(`firewall ${f.id} ${f.name} admits ssh from ${allow!.cidrs.join(", ")}`),
    });
    server = created.server;
    await adoptBoxKeys(deps, leaseId, (await api.boxKeys?.(server, { signal })) ?? null);
    ctx.onResources?.({ leaseId, serverId: server.id, serverName: server.name, keyId });
    const record: LeaseRecord = {
      id: leaseId,
      slug,
      serverId: server.id,
      serverName: server.name,
      ipv4: server.ipv4,
      sshPort: null,
      sshUser: shape.sshUser,
      sshPorts: shape.sshPorts,
      createdAt: formatIso(server.createdMs || api.now()),
      repoRoot: ctx.repoRoot,
    };
    await writeLeaseRecord(deps, record);
    out.progress(
      `${
        termsOf(api).created(server, created.serverType, created.location ?? null)
      }; stop with: crabbox stop ${leaseId}`,
    );
    // The box now holds the host private key; we keep only the public half.
    await deps.fs.remove(paths.hostKey);

    const acquireMs = deps.clock.now() - started;
    const actions = new ActionWaiter(api, deps.clock);
    const createAction = created.actionId === null ? null : createServerAction(created.actionId);
    server = await waitForIp(ctx, actions, server, createAction, shape.ipTimeoutSecs);

    // The server carries this lease's label, so the box is the one every later command opens.
    box = boxFor(deps, out, server, shape, null);
    if (!waitForSsh) {
      await writeLeaseRecord(deps, { ...record, ipv4: server.ipv4 });
      return { leaseId, slug, server, box, paths, sshKeyId: keyId, acquireMs, bootstrapMs: 0 };
    }
    const bootstrapStarted = deps.clock.now();
    // A failed create action can come after the IP: without this, readiness waits its whole budget.
    const stillBooting = async () => {
      if (createAction) await actions.check(createAction, signal);
    };
    const port = await waitForReady(
      { deps, out, signal, box, leaseId, ip: server.ipv4!, stillBooting },
      started + shape.bootstrapTimeoutSecs * 1000,
    ).catch((error) => {
      if (!(error instanceof BootstrapTimeoutError) || !allow) throw error;
      const { detail, hint } = blockedByFirewallHint(allow);
      throw new BootstrapTimeoutError(`${error.message}; ${detail}`, hint);
    });
    await writeLeaseRecord(deps, { ...record, ipv4: server.ipv4, sshPort: port });
    const bootstrapMs = deps.clock.now() - bootstrapStarted;
    out.progress(
      `ready ssh=${shape.sshUser}@${server.ipv4}:${port} bootstrap=${formatDurationMs(bootstrapMs)}`,
    );
    if (shape.pond && network) await joinPond(ctx, shape, network.id, server, slug);
    return { leaseId, slug, server, box, paths, sshKeyId: keyId, acquireMs, bootstrapMs };
  } catch (error) {
    // A probe that reached a box not yet ready may have started its master.
    await box?.closeMaster();
    await rollback({ deps, api, out }, {
      leaseId,
      serverId: server?.id ?? null,
      serverName: name,
      keyId,
      keyName: keyAttempted ? keyName : undefined,
      createAttempted,
      firewallIds,
    });
    throw error;
  }
}

/**
 * Slugs a new lease must not take. In a pond a requested slug is the member's role: only the pond's
 * members count, and a clash is the user's mistake (exit 2, before anything exists), never suffixed.
 */
function takenSlugs(existing: Server[], pond: string | undefined, wanted: string | null): Set<string> {
  const slugsOf = (servers: Server[]) =>
    new Set(servers.map((s) => s.labels.slug).filter((s): s is string => !!s));
  if (!pond || wanted === null) return slugsOf(existing);
  const clash = existing.find((s) => s.labels.pond === pond && s.labels.slug === wanted);
  if (clash) {
    throw usageError(
      `--slug ${wanted} is already taken in pond ${pond} (lease ${clash.labels.lease ?? clash.id})`,
      `pick another role name, or stop that member first: crabbox stop ${clash.labels.lease ?? clash.id}`,
    );
  }
  return new Set();
}

/** The new member's line, then every reachable member's /etc/hosts (its own included); never throws. */
async function joinPond(
  ctx: AcquireContext,
  shape: LeaseShape,
  networkId: number,
  server: Server,
  slug: string,
): Promise<void> {
  const fresh = privateIpOf(server, networkId)
    ? server
    : await ctx.api.getServer(server.id, { signal: ctx.signal }).catch(() => null);
  const ip = fresh ? privateIpOf(fresh, networkId) : null;
  ctx.out.progress(`pond ${shape.pond}: ${slug}.cbx = ${ip ?? "pending"} on network ${networkId}`);
  await refreshPondHosts(ctx, shape.pond!, shape, { ready: server.id });
}

function allowlistOf(shape: LeaseShape): Allowlist | null {
  if (!shape.allowCidrs?.length) return null;
  return {
    cidrs: shape.allowCidrs,
    ports: shape.sshPorts,
    owner: shape.owner,
    source: shape.allowCidrsSource ?? "ssh.allowCidrs",
  };
}

/** The types a create tries, in order (an exact --type alone). */
export function serverTypesOf(shape: LeaseShape): string[] {
  return serverTypesFor(shape.className, shape.serverType, shape.architecture);
}

/** `leasing ccx13 in fsn1 at €0.0200/h (net, estimate)`: what the box will cost, before it exists. */
export function leasingLine(table: PriceTable | null, serverType: string, location: string | null): string {
  const where = `leasing ${serverType}${location ? ` in ${location}` : ""}`;
  const hourly = priceOf(table, serverType, location)?.hourly ?? null;
  return hourly === null
    ? `${where} (price unknown)`
    : `${where} at ${formatMoney(hourly)}/h (net, estimate)`;
}

/** The normalized --slug, or a usage error (checked again before leasing, first before any API call). */
export function requestedSlug(slug: string | undefined): string | null {
  if (slug === undefined) return null;
  try {
    return normalizeSlug(slug);
  } catch (error) {
    throw usageError(
      `--slug: ${(error as Error).message}`,
      "use letters, digits and dashes, at most 41 characters",
    );
  }
}

function keyLabels(leaseId: string, provider: string, owner: string, nowSecs: number): Labels {
  return {
    crabbox: "true",
    created_by: "crabbox",
    provider,
    lease: leaseId,
    created_at: String(nowSecs),
    owner,
  };
}

async function generateKeys(deps: Deps, paths: LeasePaths, leaseId: string): Promise<void> {
  for (
    const [file, comment] of [[paths.clientKey, `crabbox ${leaseId}`], [
      paths.hostKey,
      `crabbox-host ${leaseId}`,
    ]]
  ) {
    const result = await deps.proc.run("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      comment,
      "-f",
      file,
    ]);
    if (result.code !== 0) {
      throw new CrabboxError(
        "internal",
        `ssh-keygen failed (${result.code}): ${new TextDecoder().decode(result.stderr).trim()}`,
        {
          hint: "check that ssh-keygen (openssh-client) works on this machine",
        },
      );
    }
    await deps.fs.chmod(file, 0o600);
  }
}

/** SPEC §5.1 step 6: poll for the IPv4, and the create action on every other poll (it may fail fast). */
async function waitForIp(
  ctx: AcquireContext,
  actions: ActionWaiter,
  server: Server,
  createAction: WatchedAction | null,
  ipTimeoutSecs: number,
): Promise<Server> {
  const { deps, api, signal } = ctx;
  ctx.out.phase("ip", `waiting for the IPv4 of server ${server.id}`);
  if (server.ipv4) return server;
  return await actions.pollWhileRunning(createAction, {
    poll: async () => {
      const fresh = await api.getServer(server.id, { signal });
      if (!fresh) {
        throw new CrabboxError("provider", `server ${server.id} disappeared while waiting for its IP`);
      }
      return fresh.ipv4 ? fresh : null;
    },
    // At once, then backing off from 100 ms (most servers have an IP within a second), then every 3 s.
    delayMs: ipPollDelayMs,
    actionEvery: 3,
    deadlineMs: deps.clock.now() + ipTimeoutSecs * 1000,
    onTimeout: () =>
      timeoutError(
        `timed out waiting for server IP after ${formatDurationMs(ipTimeoutSecs * 1000)}`,
        "Hetzner may be slow in this location; retry, or pick another --location",
      ),
    signal,
  });
}

/** Pause before IP poll n (n ≥ 1): 100, 200, 400, 800 ms, then 1 s up to the tenth poll, then 3 s. */
export function ipPollDelayMs(poll: number): number {
  return poll < 10 ? Math.min(1000, 100 * 2 ** (poll - 1)) : 3000;
}

function createServerAction(id: number): WatchedAction {
  return { id, command: "create_server", hint: "retry, or pick another --location or --type" };
}

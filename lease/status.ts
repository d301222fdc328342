/**
 * Status (SPEC §2.9): read-only; never extends the lease. The only write is provisioning → ready once
 * the box is observed ready.
 */
import type { Deps } from "../core/deps.ts";
import type { Output } from "../core/output.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import { CrabboxError, notFoundError, timeoutError } from "../core/errors.ts";
import { formatDurationMs } from "../core/duration.ts";
import { decodeLeaseLabels, mergeCrabboxLabels } from "../labels/codec.ts";
import type { LeaseObject } from "../labels/lease_view.ts";
import { resolveLease } from "./resolve.ts";
import { leaseView, pricingNow } from "./inspect.ts";
import type { PriceSource } from "./prices.ts";
import { Box } from "./box.ts";
import { leasePaths, pinHostKey } from "./store.ts";
import { rememberServer } from "./labels_write.ts";

export type StatusView = LeaseObject & { ready: boolean; readyCheck: string; idleForSecs: number | null };

const TERMINAL = new Set(["released", "failed", "expired"]);

export interface StatusSettings {
  sshUser: string;
  sshPorts: number[];
  workRoot: string;
  connectTimeoutSecs: number;
  sshConfigFile: string;
  readyCommand?: string;
}

interface StatusContext {
  deps: Deps;
  api: HetznerApi;
  out: Output;
  signal: AbortSignal;
  /** For the lease's price and cost so far; absent or failing: null ("?"). */
  prices?: PriceSource;
}

export async function leaseStatus(
  ctx: StatusContext,
  request: { id: string; wait: boolean; waitTimeoutSecs: number; settings: StatusSettings },
): Promise<StatusView> {
  const { deps, api } = ctx;
  const started = deps.clock.now();
  for (;;) {
    const resolution = await resolveLease(deps, api, request.id, ctx.signal);
    if (resolution.kind === "gone") {
      throw notFoundError(`lease ${resolution.leaseId} no longer exists`, "start a new lease");
    }
    let server = resolution.server;
    const state = server.labels.state ?? "";
    if (TERMINAL.has(state)) {
      throw new CrabboxError("not_found", `lease ${server.labels.lease} is ${state}`, {
        hint: "start a new lease",
      });
    }
    const view = await observe(ctx, server, request.settings);
    if (view.ready && state === "provisioning") {
      const fresh = await api.getServer(server.id, { signal: ctx.signal });
      if (fresh) {
        server = await api.replaceServerLabels(
          server.id,
          mergeCrabboxLabels(fresh.labels, { state: "ready" }),
          {
            signal: ctx.signal,
          },
        );
        await rememberServer(ctx.deps, api, server);
        return { ...view, state: "ready", labels: server.labels };
      }
    }
    if (view.ready || !request.wait) return view;
    const elapsed = deps.clock.now() - started;
    if (elapsed >= request.waitTimeoutSecs * 1000) {
      throw timeoutError(
        `timed out after ${
          formatDurationMs(request.waitTimeoutSecs * 1000)
        } waiting for ${view.id} to become ready`,
        `check it again with: crabbox status ${view.id}`,
      );
    }
    const waitingFor = `waiting for ${view.id} (${view.readyCheck})`;
    ctx.out.phase("ssh", waitingFor);
    ctx.out.waiting(waitingFor, elapsed);
    await deps.clock.sleep(5_000, ctx.signal);
  }
}

async function observe(
  ctx: StatusContext,
  server: Server,
  settings: StatusSettings,
): Promise<StatusView> {
  const { deps, api } = ctx;
  const lease = await leaseView(deps, server, await pricingNow(api, ctx.prices));
  const labels = decodeLeaseLabels(server.labels);
  const idleForSecs = labels.lastTouchedAtSecs === null
    ? null
    : Math.max(0, Math.floor(api.now() / 1000) - labels.lastTouchedAtSecs);
  const base = { ...lease, idleForSecs };
  if (!server.ipv4) return { ...base, ready: false, readyCheck: "not_ready:no_ipv4" };
  if (!lease.localKey) {
    return { ...base, ready: lease.state !== "provisioning", readyCheck: "no_local_key" };
  }
  await pinHostKey(deps, lease.id);
  const box = new Box(deps, {
    leaseId: lease.id,
    paths: leasePaths(deps, lease.id),
    user: settings.sshUser,
    host: server.ipv4,
    ports: lease.sshPort ? [lease.sshPort] : settings.sshPorts,
    workRoot: settings.workRoot,
    connectTimeoutSecs: 5,
    controlPersist: 0,
    sshConfigFile: settings.sshConfigFile,
    readyCommand: settings.readyCommand,
    debug: (line) => ctx.out.debug(line),
  });
  let check = "closed";
  for (const port of box.ports) {
    const probe = await box.probe(port);
    check = probe === "ok"
      ? "ok"
      : probe.startsWith("not-ready")
      ? probe.replace(/^not-ready\((.*)\)$/, "not_ready:$1")
      : probe;
    if (probe === "ok") break;
  }
  return { ...base, ready: check === "ok", readyCheck: check };
}

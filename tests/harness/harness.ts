/**
 * Starts the whole stand-in for Hetzner: the fake API on 127.0.0.1 (behind a TCP relay that can drop
 * connections), an admin API for tests, and (by default) Prism as a validating proxy in front of the
 * fake, so every request and response is held to Hetzner's official OpenAPI document. Test code.
 */
import { AdminClient } from "./admin_client.ts";
import { adminHandler } from "./admin_api.ts";
import { FakeHetzner, type Knobs } from "./fake_api.ts";
import { type LeakReport, leftoverNetworkObjects, processesInNamespaces } from "./leaks.ts";
import { type PrismProxy, startPrism, type Violation } from "./prism.ts";
import { startTcpFront } from "./tcp_front.ts";
import { validateCloudConfig } from "../contract/cloud_init_schema.ts";

export type { LeakReport, Violation };

export interface Harness {
  /** What crabbox uses as HCLOUD_ENDPOINT: Prism when enabled, else the fake directly. */
  endpoint: string;
  /** The fake without Prism: for faults Prism cannot carry (dropped connections, HTML bodies). */
  directEndpoint: string;
  token: string;
  /** The admin API over HTTP (also usable from other processes at `adminUrl`). */
  admin: AdminClient;
  adminUrl: string;
  /** The fake itself, for in-process tests that want its state directly. */
  fake: FakeHetzner;
  /** Every sl-violations header and Prism problem+json answer so far; tests assert it empty. */
  violations(): Violation[];
  /** Idempotent: deletes every server, stops everything, reports what survived. */
  stop(): Promise<LeakReport>;
}

export interface HarnessOptions {
  /** Put Prism in front (default true). */
  prism?: boolean;
  knobs?: Partial<Knobs>;
  token?: string;
  /** Tear down and exit on SIGINT/SIGTERM (default true; the harness CLI handles signals itself). */
  exitOnSignal?: boolean;
}

interface Live {
  fake: FakeHetzner;
  prism: PrismProxy | null;
}

const live = new Set<Live>();
let unloadHookInstalled = false;
let signalHooksInstalled = false;
const SIGNALS = ["SIGINT", "SIGTERM"] as const;
const signalExit = () => {
  destroyAllSync();
  Deno.exit(130);
};

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  if (Deno.uid() !== 0) throw new Error("the harness needs root (network namespaces): run as root");
  const runId = crypto.randomUUID().replaceAll("-", "").slice(0, 4);
  const root = await Deno.makeTempDir({ prefix: `cbx-harness-${runId}-` });
  const token = options.token ?? randomToken();
  const fake = new FakeHetzner(token, root, runId);
  fake.knobs = { ...fake.knobs, ...options.knobs };
  fake.validateUserData = validateCloudConfig;

  let front: ReturnType<typeof startTcpFront> | null = null;
  const api = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request, info) => fake.handle(request, { drop: () => front?.drop(info.remoteAddr.port) }),
  );
  front = startTcpFront(api.addr.port);
  const directEndpoint = `http://127.0.0.1:${front.port}`;
  let prism: PrismProxy | null = null;
  const imageCount = () => (fake.images.images.size ? { images: fake.images.images.size } : {});
  const leaks = async (): Promise<LeakReport> => ({
    servers: fake.servers.size,
    sshKeys: fake.keys.size,
    ...imageCount(),
    ...(fake.firewalls.size > 0 ? { firewalls: fake.firewalls.size } : {}),
    netns: [
      ...await leftoverNetworkObjects(runId),
      ...await processesInNamespaces(fake.namespaces),
      ...fake.networks.leftovers(),
    ],
  });
  const admin = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    adminHandler(fake, { violations: () => prism?.violations() ?? [], leaks }),
  );
  const entry: Live = { fake, prism: null };
  live.add(entry);
  installExitHooks(options.exitOnSignal ?? true);
  try {
    prism = options.prism === false ? null : await startPrism(directEndpoint);
  } catch (error) {
    live.delete(entry);
    await Promise.all([front.close(), api.shutdown(), admin.shutdown()]);
    await Deno.remove(root, { recursive: true }).catch(() => {});
    removeExitHooks();
    throw error;
  }
  entry.prism = prism;

  const adminUrl = `http://127.0.0.1:${admin.addr.port}`;
  let stopped: Promise<LeakReport> | null = null;
  return {
    endpoint: prism?.url ?? directEndpoint,
    directEndpoint,
    token,
    admin: new AdminClient(adminUrl),
    adminUrl,
    fake,
    violations: () => prism?.violations() ?? [],
    stop: () => {
      stopped ??= (async () => {
        const counts = {
          servers: fake.servers.size,
          sshKeys: fake.keys.size,
          ...imageCount(),
          ...(fake.firewalls.size > 0 ? { firewalls: fake.firewalls.size } : {}),
        };
        await fake.shutdown();
        await prism?.stop();
        await front.close();
        await api.shutdown();
        await admin.shutdown();
        live.delete(entry);
        removeExitHooks();
        const report = { ...counts, netns: await settledLeftovers(leaks) };
        await Deno.remove(root, { recursive: true }).catch(() => {});
        return report;
      })();
      return stopped;
    },
  };
}

/** Killed namespaces take a moment to be reaped: look again for up to 2 s before calling it a leak. */
async function settledLeftovers(leaks: () => Promise<LeakReport>): Promise<string[]> {
  const deadline = Date.now() + 2000;
  for (let attempt = 0; attempt < 20; attempt++) {
    const { netns } = await leaks();
    if (netns.length === 0 || Date.now() > deadline) return netns;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await leaks()).netns;
}

function installExitHooks(onSignals: boolean): void {
  if (!unloadHookInstalled) {
    unloadHookInstalled = true;
    globalThis.addEventListener("unload", destroyAllSync);
  }
  if (onSignals && !signalHooksInstalled) {
    signalHooksInstalled = true;
    for (const signal of SIGNALS) Deno.addSignalListener(signal, signalExit);
  }
}

function removeExitHooks(): void {
  if (live.size > 0 || !signalHooksInstalled) return;
  signalHooksInstalled = false;
  for (const signal of SIGNALS) Deno.removeSignalListener(signal, signalExit);
}

/** A crashed or interrupted test run must not leave namespaces, sshds or Prism behind. */
function destroyAllSync(): void {
  for (const { fake, prism } of live) {
    for (const server of fake.servers.values()) server.box?.destroySync();
    fake.networks.destroySync();
    prism?.killSync();
  }
  live.clear();
}

function randomToken(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...crypto.getRandomValues(new Uint8Array(64))].map((b) => alphabet[b % alphabet.length]).join("");
}

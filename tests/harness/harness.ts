/**
 * Starts the whole stand-in for Hetzner: the fake API on 127.0.0.1, an admin API for tests, and
 * (by default) Prism as a validating proxy in front of the fake, so every request and response is held
 * to Hetzner's official OpenAPI document. Test code, never shipped.
 */
import { type CapacityRule, FakeHetzner, type Fault, type Knobs } from "./fake_api.ts";
import { startPrism, type Violation } from "./prism.ts";
import { validateCloudConfig } from "../contract/cloud_init_schema.ts";

export interface Harness {
  /** What crabbox uses as HCLOUD_ENDPOINT: Prism when enabled, else the fake directly. */
  endpoint: string;
  directEndpoint: string;
  token: string;
  fake: FakeHetzner;
  adminUrl: string;
  violations(): Violation[];
  stop(): Promise<LeakReport>;
}

export interface LeakReport {
  servers: number;
  sshKeys: number;
  netns: string[];
}

export interface HarnessOptions {
  prism?: boolean;
  knobs?: Partial<Knobs>;
  token?: string;
}

const live = new Set<Harness>();
let exitHookInstalled = false;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  if (Deno.uid() !== 0) throw new Error("the harness needs root (network namespaces): run as root");
  const runId = crypto.randomUUID().replaceAll("-", "").slice(0, 4);
  const root = await Deno.makeTempDir({ prefix: `cbx-harness-${runId}-` });
  const token = options.token ?? randomToken();
  const fake = new FakeHetzner(token, root, runId);
  fake.knobs = { ...fake.knobs, ...options.knobs };
  fake.validateUserData = validateCloudConfig;

  const api = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => fake.handle(req));
  const directEndpoint = `http://127.0.0.1:${api.addr.port}`;
  const admin = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => adminHandler(fake, req),
  );
  const prism = options.prism === false ? null : await startPrism(directEndpoint);

  let stopped: Promise<LeakReport> | null = null;
  const harness: Harness = {
    endpoint: prism?.url ?? directEndpoint,
    directEndpoint,
    token,
    fake,
    adminUrl: `http://127.0.0.1:${admin.addr.port}`,
    violations: () => prism?.violations() ?? [],
    stop: () => {
      stopped ??= (async () => {
        live.delete(harness);
        const report: LeakReport = { servers: fake.servers.size, sshKeys: fake.keys.size, netns: [] };
        await fake.shutdown();
        await prism?.stop();
        await api.shutdown();
        await admin.shutdown();
        report.netns = await leftoverNetns(runId);
        await Deno.remove(root, { recursive: true }).catch(() => {});
        return report;
      })();
      return stopped;
    },
  };
  live.add(harness);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    globalThis.addEventListener("unload", () => {
      for (const h of live) for (const s of h.fake.servers.values()) s.box?.destroySync();
    });
  }
  return harness;
}

function randomToken(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...crypto.getRandomValues(new Uint8Array(64))].map((b) => alphabet[b % alphabet.length]).join("");
}

async function leftoverNetns(runId: string): Promise<string[]> {
  const out = await new Deno.Command("ip", { args: ["netns", "list"], stdout: "piped", stderr: "null" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(`cbx-${runId}-`));
}

/** Admin API: faults, knobs, capacity rules, clock skew, paper servers, state dump. */
async function adminHandler(fake: FakeHetzner, request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  const body = request.method === "POST" ? await request.json().catch(() => ({})) : {};
  const ok = (value: unknown = { ok: true }) => Response.json(value);
  switch (`${request.method} ${path}`) {
    case "POST /faults":
      for (const fault of ([] as Fault[]).concat(body)) {
        fake.faults.push({ ...fault, remaining: fault.count ?? 1 });
      }
      return ok();
    case "POST /knobs":
      fake.knobs = { ...fake.knobs, ...body };
      return ok(fake.knobs);
    case "POST /capacity":
      fake.capacity = body as CapacityRule[];
      return ok();
    case "POST /clock":
      fake.skewMs = Number(body.skewMs ?? 0);
      return ok();
    case "GET /state":
      return ok({
        servers: [...fake.servers.values()].map((s) => ({
          id: s.id,
          name: s.name,
          labels: s.labels,
          ipv4: s.ipv4,
        })),
        sshKeys: [...fake.keys.values()],
      });
    case "GET /log":
      return ok(fake.log);
  }
  return new Response("not found", { status: 404 });
}

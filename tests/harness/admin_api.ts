/**
 * The harness's admin API: faults, knobs, capacity, clock, rate limit, paper servers, per-server
 * actions (drop, black-hole, exec), state dump, request log, peak rate, leaks and violations.
 * The typed client is admin_client.ts. Test code.
 */
import type { CapacityRule, FakeHetzner, FakeServer, Fault, Knobs } from "./fake_api.ts";
import type { ServerState } from "./admin_client.ts";
import type { LeakReport } from "./leaks.ts";
import type { Violation } from "./prism.ts";

export interface AdminHooks {
  violations(): Violation[];
  leaks(): Promise<LeakReport>;
}

class AdminError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function adminHandler(fake: FakeHetzner, hooks: AdminHooks) {
  return async (request: Request): Promise<Response> => {
    try {
      const url = new URL(request.url);
      const body = request.method === "POST" ? await request.json().catch(() => ({})) : {};
      return Response.json(await route(fake, hooks, request.method, url, body));
    } catch (error) {
      const status = error instanceof AdminError ? error.status : 500;
      return Response.json({ error: (error as Error).message }, { status });
    }
  };
}

// deno-lint-ignore no-explicit-any
async function route(fake: FakeHetzner, hooks: AdminHooks, method: string, url: URL, body: any) {
  const m = url.pathname.match(/^\/servers\/(\d+)\/([a-z_]+)$/);
  if (m) return await serverAction(fake, Number(m[1]), `${method} ${m[2]}`, body);
  switch (`${method} ${url.pathname}`) {
    case "POST /faults":
      for (const fault of ([] as Fault[]).concat(body)) {
        if (typeof fault.method !== "string" || typeof fault.path !== "string") {
          throw new AdminError(400, "a fault needs method and path");
        }
        fake.faults.push({ ...fault, remaining: fault.count ?? 1 });
      }
      return { ok: true };
    case "DELETE /faults":
      fake.faults = [];
      return { ok: true };
    case "GET /knobs":
      return fake.knobs;
    case "POST /knobs":
      fake.knobs = { ...fake.knobs, ...(body as Partial<Knobs>) };
      return fake.knobs;
    case "POST /knobs/next":
      fake.nextKnobs.push(body as Partial<Knobs>);
      return { queued: fake.nextKnobs.length };
    case "POST /capacity":
      fake.capacity = ([] as CapacityRule[]).concat(body);
      return { ok: true };
    case "POST /server_limit":
      fake.serverLimit = typeof body.limit === "number" ? body.limit : null;
      return { ok: true };
    case "POST /clock":
      if (typeof body.skewMs === "number") fake.skewMs = body.skewMs;
      if (typeof body.advanceMs === "number") fake.skewMs += body.advanceMs;
      return { skewMs: fake.skewMs, now: fake.now() };
    case "POST /tokens": {
      // A second token of the project; only read-only ones are on offer (the main token is read/write).
      if (body.readOnly !== true) throw new AdminError(400, "only read-only tokens can be minted");
      const token = "ro" + crypto.randomUUID().replaceAll("-", "");
      fake.readOnlyTokens.add(token);
      return { token };
    }
    case "POST /rate_limit":
      fake.bucket.configure(body, Date.now());
      return { ...fake.bucket.settings, remaining: fake.bucket.remaining(Date.now()) };
    case "POST /paper_servers": {
      const labels = body.labels ?? {};
      const pick = (i: number) => ({ ...(Array.isArray(labels) ? labels[i % labels.length] : labels) });
      return { ids: fake.addPaperServers(Number(body.count ?? 0), pick, body.createdMs) };
    }
    case "GET /state":
      fake.settle();
      return { servers: [...fake.servers.values()].map(serverState), sshKeys: [...fake.keys.values()] };
    case "GET /log":
      return fake.log;
    case "GET /peak_rate":
      return { peak: fake.peakRequestRate(Number(url.searchParams.get("windowMs") ?? 1000)) };
    case "GET /leaks":
      return await hooks.leaks();
    case "GET /violations":
      return hooks.violations();
  }
  throw new AdminError(404, `no admin route ${method} ${url.pathname}`);
}

// deno-lint-ignore no-explicit-any
async function serverAction(fake: FakeHetzner, id: number, action: string, body: any) {
  const server = fake.servers.get(id);
  if (!server) throw new AdminError(404, `server ${id} not found`);
  const box = server.box;
  if (!box) throw new AdminError(409, `server ${id} is a paper server (no box)`);
  switch (action) {
    case "GET dir":
      return { dir: box.dir };
    case "POST drop_connections":
      return { killed: await box.dropConnections() };
    case "POST blackhole":
      await box.blackhole();
      return { ok: true };
    case "POST heal":
      await box.heal();
      return { ok: true };
    case "POST restart":
      await box.restart();
      return { ok: true };
    case "POST exec":
      if (!Array.isArray(body.argv) || body.argv.length === 0) throw new AdminError(400, "exec needs argv");
      return await box.exec(body.argv.map(String));
  }
  throw new AdminError(404, `no server action ${action}`);
}

function serverState(s: FakeServer): ServerState {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    labels: s.labels,
    ipv4: s.ipv4,
    serverType: s.serverType,
    location: s.location,
    paper: s.paper,
    dir: s.box?.dir ?? null,
    netns: s.box?.netns ?? null,
    userData: s.userData,
    applied: s.box?.userData ?? null,
    blackholed: s.box?.blackholed ?? false,
    knobs: s.knobs,
  };
}

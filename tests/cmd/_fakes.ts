/**
 * Fake Deps for in-process command tests: captured stdout/stderr, a fixed env, a manual clock, an
 * in-memory Hetzner that records calls, and the real file system rooted in a temp dir.
 */
import type { Deps, Net, ProcessRunner, PromptChoice, Prompter, Terminal } from "../../core/deps.ts";
import { realFs, realProcess } from "../../core/runtime.ts";
import { Redactor } from "../../core/redact.ts";
import { main } from "../../main.ts";
import type {
  Action,
  CreateNetworkRequest,
  CreateServerRequest,
  Firewall,
  FirewallRule,
  HetznerApi,
  Image,
  Labels,
  Location,
  Network,
  Server,
  ServerCount,
  ServerType,
  SshKey,
  WriteAccess,
} from "../../providers/hetzner/port.ts";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";
import { authError } from "../../core/errors.ts";
import { parseSelector } from "../harness/labels.ts";

/** Hetzner's label selector grammar, as the harness's fake implements it; no selector matches all. */
function selectorMatcher(selector: string | undefined): (labels: Record<string, string>) => boolean {
  if (!selector) return () => true;
  const matches = parseSelector(selector);
  if (!matches) throw new Error(`invalid label selector ${selector}`);
  return matches;
}

export class CapturedIo implements Terminal {
  stdout = "";
  stderr = "";
  /** A test may make either stream a terminal (the spinner and colour then apply). */
  stdoutIsTTY = false;
  stderrIsTTY = false;
  columns: number | null = null;
  /** Like `| head -c N`: after this many characters stdout's reader is gone. */
  stdoutLimit: number | null = null;
  #stdoutClosed = false;
  readonly #listeners = new Set<(stream: "stdout" | "stderr") => void>();
  writeStdout(chunk: Uint8Array | string): void {
    if (this.#stdoutClosed) return;
    const text = typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    if (this.stdoutLimit !== null && this.stdout.length + text.length > this.stdoutLimit) {
      this.stdout += text.slice(0, this.stdoutLimit - this.stdout.length);
      this.#stdoutClosed = true;
      for (const listener of this.#listeners) listener("stdout");
      return;
    }
    this.stdout += text;
  }
  writeStderr(chunk: Uint8Array | string): void {
    this.stderr += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
  }
  stderrColumns(): number | null {
    return this.columns;
  }
  onClosed(handler: (stream: "stdout" | "stderr") => void): () => void {
    this.#listeners.add(handler);
    return () => this.#listeners.delete(handler);
  }
  reset(): void {
    this.stdout = "";
    this.stderr = "";
    this.#stdoutClosed = false;
  }
}

/** Signals a test can raise; exitNow records the code and throws (a real exit ends the process). */
export class FakeSignals {
  readonly handlers = new Map<string, Set<() => void>>();
  exits: number[] = [];
  on(signal: string, handler: () => void): () => void {
    const set = this.handlers.get(signal) ?? new Set();
    set.add(handler);
    this.handlers.set(signal, set);
    return () => set.delete(handler);
  }
  raise(signal: "SIGINT" | "SIGTERM" | "SIGHUP"): void {
    for (const handler of this.handlers.get(signal) ?? []) handler();
  }
  exitNow = (code: number): never => {
    this.exits.push(code);
    throw new Error(`exitNow(${code})`);
  };
}

/**
 * Time moves only by sleeping: a sleep advances it at once. One longer than `holdOverMs` (a heartbeat,
 * a command timeout) never ends by itself, only through its signal, as if the work finished first.
 */
export class ManualClock {
  constructor(public nowMs = Date.parse("2026-05-01T12:00:00Z"), readonly holdOverMs = Infinity) {}
  sleeps: number[] = [];
  now = () => this.nowMs;
  sleep = (ms: number, signal?: AbortSignal) => {
    signal?.throwIfAborted();
    if (ms > this.holdOverMs) {
      return new Promise<void>((_, reject) =>
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true })
      );
    }
    this.sleeps.push(ms);
    this.nowMs += ms;
    return Promise.resolve();
  };
  /** Running `every` timers; tick() fires each once. Empty again once every timer was stopped. */
  readonly timers = new Set<() => void>();
  every = (_ms: number, tick: () => void) => {
    const timer = () => tick();
    this.timers.add(timer);
    return () => void this.timers.delete(timer);
  };
  tick(): void {
    for (const timer of [...this.timers]) timer();
  }
}

/** A Hetzner error answer, as the client raises it (for MemoryHetzner.failures). */
export function apiError(method: string, path: string, status: number, code: string): HetznerApiError {
  return new HetznerApiError({
    method,
    path,
    status,
    code,
    message: `${code} (fake)`,
    details: null,
    correlationId: null,
    retryAfterMs: null,
  });
}

/** A priced server type in every location of the default config (net and gross at 19 % VAT). */
export function pricedType(name: string, hourly: number, monthly: number): ServerType {
  const money = (net: number) => ({ net, gross: Math.round(net * 119e4) / 1e6 });
  return {
    name,
    deprecated: false,
    architecture: name.startsWith("cax") ? "arm" : "x86",
    prices: ["fsn1", "nbg1", "hel1"].map((location) => ({
      location,
      hourly: money(hourly),
      monthly: money(monthly),
    })),
  };
}

/** `k=v` and bare `k` (present) terms joined by commas, and an exact name. */
function selected<T extends { name: string; labels: Labels }>(
  items: T[],
  query: { labelSelector?: string; name?: string },
): T[] {
  const matches = selectorMatcher(query.labelSelector);
  return items.filter((item) =>
    (query.name === undefined || item.name === query.name) && matches(item.labels)
  )
    .map((item) => structuredClone(item));
}

/** A small in-memory Hetzner for command tests; the e2e lane uses the real harness instead. */
export class MemoryHetzner implements HetznerApi {
  servers = new Map<number, Server>();
  keys = new Map<number, SshKey>();
  /** Snapshot images; createSnapshot makes them `available` at once (the harness has real timing). */
  images = new Map<number, Image>();
  networks = new Map<number, Network>();
  calls: string[] = [];
  nextId = 1000;
  /** What listServerTypes answers: beast's and tiny's first types, priced. */
  serverTypes: ServerType[] = [pricedType("ccx63", 0.4659, 290.99), pricedType("ccx13", 0.02, 12.49)];
  /** Error the next call with this name throws. */
  failures = new Map<string, HetznerApiError>();
  /** What GET /actions/{id} answers (every action). */
  action: Omit<Action, "id"> = { status: "success", error: null };
  constructor(readonly clock: ManualClock) {}

  #call(name: string): void {
    this.calls.push(name);
    const failure = this.failures.get(name);
    if (failure) {
      this.failures.delete(name);
      throw failure;
    }
  }

  addServer(partial: Partial<Server> & { labels: Labels }): Server {
    const server: Server = {
      id: partial.id ?? this.nextId++,
      name: partial.name ?? `server-${this.nextId}`,
      status: partial.status ?? "running",
      createdMs: partial.createdMs ?? this.clock.nowMs,
      ipv4: partial.ipv4 ?? "203.0.113.7",
      labels: partial.labels,
      serverType: partial.serverType ?? "ccx63",
      location: partial.location ?? "fsn1",
      ...(partial.privateNet ? { privateNet: partial.privateNet } : {}),
      ...(partial.firewallIds ? { firewallIds: partial.firewallIds } : {}),
    };
    this.servers.set(server.id, server);
    return server;
  }

  listServers(query: { labelSelector?: string; name?: string }): Promise<Server[]> {
    this.#call("listServers");
    return Promise.resolve(selected([...this.servers.values()], query));
  }
  getServer(id: number): Promise<Server | null> {
    this.#call("getServer");
    const s = this.servers.get(id);
    return Promise.resolve(s ? structuredClone(s) : null);
  }
  createServer(request: CreateServerRequest): Promise<{ server: Server; actionId: number | null }> {
    this.#call("createServer");
    const privateNet = (request.networks ?? []).map((id) => {
      const network = this.networks.get(id);
      if (!network) throw new Error(`no network ${id}`);
      const ip = network.ipRange.replace(/\.0\/24$/, `.${network.serverIds.length + 2}`);
      return { network: id, ip };
    });
    const server = this.addServer({
      name: request.name,
      labels: request.labels,
      serverType: request.serverType,
      privateNet,
      ...(request.firewalls?.length ? { firewallIds: request.firewalls } : {}),
    });
    for (const { network } of privateNet) this.networks.get(network)!.serverIds.push(server.id);
    return Promise.resolve({ server: structuredClone(server), actionId: 1 });
  }
  replaceServerLabels(id: number, labels: Labels): Promise<Server> {
    this.#call("replaceServerLabels");
    const s = this.servers.get(id);
    if (!s) throw new Error(`no server ${id}`);
    s.labels = { ...labels };
    return Promise.resolve(structuredClone(s));
  }
  deleteServer(id: number): Promise<"deleted" | "gone"> {
    this.#call("deleteServer");
    for (const n of this.networks.values()) n.serverIds = n.serverIds.filter((s) => s !== id);
    return Promise.resolve(this.servers.delete(id) ? "deleted" : "gone");
  }
  listNetworks(query: { labelSelector?: string; name?: string }): Promise<Network[]> {
    this.#call("listNetworks");
    return Promise.resolve(selected([...this.networks.values()], query));
  }
  getNetwork(id: number): Promise<Network | null> {
    this.#call("getNetwork");
    const n = this.networks.get(id);
    return Promise.resolve(n ? structuredClone(n) : null);
  }
  createNetwork(request: CreateNetworkRequest): Promise<Network> {
    this.#call("createNetwork");
    if ([...this.networks.values()].some((n) => n.name === request.name)) {
      throw new HetznerApiError({
        method: "POST",
        path: "/networks",
        status: 409,
        code: "uniqueness_error",
        message: "network name is already used",
        details: null,
        correlationId: null,
        retryAfterMs: null,
      });
    }
    const network: Network = {
      id: this.nextId++,
      name: request.name,
      ipRange: request.ipRange,
      subnets: [{ ipRange: request.ipRange, networkZone: request.networkZone }],
      serverIds: [],
      labels: { ...request.labels },
      createdMs: this.clock.nowMs,
    };
    this.networks.set(network.id, network);
    return Promise.resolve(structuredClone(network));
  }
  deleteNetwork(id: number): Promise<"deleted" | "gone"> {
    this.#call("deleteNetwork");
    return Promise.resolve(this.networks.delete(id) ? "deleted" : "gone");
  }
  getAction(id: number): Promise<Action | null> {
    this.#call("getAction");
    return Promise.resolve({ id, ...this.action });
  }
  listSshKeys(query: { name?: string; labelSelector?: string }): Promise<SshKey[]> {
    this.#call("listSshKeys");
    return Promise.resolve(
      [...this.keys.values()].filter((k) =>
        (query.name === undefined || k.name === query.name) && selectorMatcher(query.labelSelector)(k.labels)
      ),
    );
  }
  createSshKey(request: { name: string; publicKey: string; labels: Labels }): Promise<SshKey> {
    this.#call("createSshKey");
    const key: SshKey = { id: this.nextId++, fingerprint: "00", createdMs: this.clock.nowMs, ...request };
    this.keys.set(key.id, key);
    return Promise.resolve(key);
  }
  deleteSshKey(id: number): Promise<"deleted" | "gone"> {
    this.#call("deleteSshKey");
    return Promise.resolve(this.keys.delete(id) ? "deleted" : "gone");
  }
  addImage(partial: Partial<Image> & { labels: Labels }): Image {
    const image: Image = {
      id: partial.id ?? this.nextId++,
      type: partial.type ?? "snapshot",
      status: partial.status ?? "available",
      description: partial.description ?? "",
      imageSizeGb: partial.imageSizeGb === undefined ? 1.5 : partial.imageSizeGb,
      diskSizeGb: partial.diskSizeGb ?? 80,
      createdMs: partial.createdMs ?? this.clock.nowMs,
      createdFrom: partial.createdFrom ?? null,
      architecture: partial.architecture ?? "x86",
      labels: partial.labels,
    };
    this.images.set(image.id, image);
    return image;
  }
  createSnapshot(
    serverId: number,
    request: { description: string; labels: Labels },
  ): Promise<{ image: Image; actionId: number | null }> {
    this.#call("createSnapshot");
    const server = this.servers.get(serverId);
    if (!server) throw apiError("POST", `/servers/${serverId}/actions/create_image`, 404, "not_found");
    const image = this.addImage({ ...request, createdFrom: { id: serverId, name: server.name } });
    return Promise.resolve({ image: structuredClone(image), actionId: 2 });
  }
  /** Selector terms `k=v` and a bare `k` (present), as crabbox sends them. */
  listImages(query: { type?: string; labelSelector?: string }): Promise<Image[]> {
    this.#call("listImages");
    const terms = (query.labelSelector ?? "").split(",").filter(Boolean).map((t) => t.split("="));
    return Promise.resolve(
      [...this.images.values()].filter((i) =>
        (query.type === undefined || i.type === query.type) &&
        terms.every(([k, v]) => (v === undefined ? k in i.labels : i.labels[k] === v))
      ).map((i) => structuredClone(i)),
    );
  }
  getImage(id: number): Promise<Image | null> {
    this.#call("getImage");
    const image = this.images.get(id);
    return Promise.resolve(image ? structuredClone(image) : null);
  }
  replaceImageLabels(id: number, labels: Labels): Promise<Image> {
    this.#call("replaceImageLabels");
    const image = this.images.get(id);
    if (!image) throw apiError("PUT", `/images/${id}`, 404, "not_found");
    image.labels = { ...labels };
    return Promise.resolve(structuredClone(image));
  }
  deleteImage(id: number): Promise<"deleted" | "gone"> {
    this.#call("deleteImage");
    return Promise.resolve(this.images.delete(id) ? "deleted" : "gone");
  }
  countServers(query: { labelSelector?: string }): Promise<ServerCount> {
    this.#call("countServers");
    return this.listServers(query).then((servers) => ({
      total: servers.length,
      rateLimit: { limit: 3600, remaining: 3599 },
    }));
  }
  /** What probeWriteAccess answers (a read/write token unless a test says otherwise). */
  writeAccess: WriteAccess = { kind: "read_write" };
  probeWriteAccess(): Promise<WriteAccess> {
    this.#call("probeWriteAccess");
    return Promise.resolve(this.writeAccess);
  }
  firewalls = new Map<number, Firewall>();
  listFirewalls(query: { labelSelector?: string; name?: string }): Promise<Firewall[]> {
    this.#call("listFirewalls");
    const terms = (query.labelSelector ?? "").split(",").filter(Boolean).map((t) => t.split("="));
    return Promise.resolve(
      [...this.firewalls.values()].filter((f) =>
        (query.name === undefined || f.name === query.name) && terms.every(([k, v]) => f.labels[k] === v)
      ).map((f) => ({ ...structuredClone(f), serverIds: this.#usersOf(f.id) })),
    );
  }
  createFirewall(request: { name: string; labels: Labels; rules: FirewallRule[] }): Promise<Firewall> {
    this.#call("createFirewall");
    const firewall: Firewall = { id: this.nextId++, createdMs: this.clock.nowMs, serverIds: [], ...request };
    this.firewalls.set(firewall.id, structuredClone(firewall));
    return Promise.resolve(firewall);
  }
  deleteFirewall(id: number): Promise<"deleted" | "gone" | "in_use"> {
    this.#call("deleteFirewall");
    if (this.#usersOf(id).length > 0) return Promise.resolve("in_use");
    return Promise.resolve(this.firewalls.delete(id) ? "deleted" : "gone");
  }
  /** As Hetzner: a firewall is in use while a server lists it. */
  #usersOf(id: number): number[] {
    return [...this.servers.values()].filter((s) => s.firewallIds?.includes(id)).map((s) => s.id);
  }
  listServerTypes(): Promise<ServerType[]> {
    this.#call("listServerTypes");
    return Promise.resolve(structuredClone(this.serverTypes));
  }
  listLocations(): Promise<Location[]> {
    return Promise.resolve([]);
  }
  now(): number {
    return this.clock.nowMs;
  }
  clockSynced(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A person at a terminal, scripted: each question takes the next answer (a string, or null to cancel),
 * `undefined` accepts the question's initial value. Every question is recorded; one too many fails.
 */
export class ScriptedPrompter implements Prompter {
  readonly asked: {
    kind: "select" | "text";
    message: string;
    initial: string;
    choices?: string[];
    validate?: (value: string) => string | null;
  }[] = [];
  constructor(readonly interactive = false, readonly answers: (string | null | undefined)[] = []) {}
  #next(initial: string): string | null {
    if (this.asked.length > this.answers.length) {
      throw new Error(`unexpected question: ${this.asked.at(-1)!.message}`);
    }
    const answer = this.answers[this.asked.length - 1];
    return answer === undefined ? initial : answer;
  }
  select(q: { message: string; choices: PromptChoice[]; initial: string }): Promise<string | null> {
    this.asked.push({
      kind: "select",
      message: q.message,
      initial: q.initial,
      choices: q.choices.map((c) => c.value),
    });
    return Promise.resolve(this.#next(q.initial));
  }
  text(
    q: { message: string; initial: string; validate?: (v: string) => string | null },
  ): Promise<string | null> {
    this.asked.push({ kind: "text", message: q.message, initial: q.initial, validate: q.validate });
    const answer = this.#next(q.initial);
    const problem = answer === null ? null : q.validate?.(answer);
    if (problem) throw new Error(`scripted answer ${JSON.stringify(answer)} rejected: ${problem}`);
    return Promise.resolve(answer);
  }
}

export interface Harnessed {
  io: CapturedIo;
  signals: FakeSignals;
  clock: ManualClock;
  hetzner: MemoryHetzner;
  deps: Deps;
  home: string;
  /** Runs the whole CLI in process. */
  run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  cleanup(): Promise<void>;
}

export const CANARY_TOKEN = "canary0token0ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01";

export async function fakeCli(
  options: {
    env?: Record<string, string>;
    proc?: ProcessRunner;
    net?: Net;
    cwd?: string;
    clock?: ManualClock;
    prompt?: ScriptedPrompter;
  } = {},
): Promise<Harnessed> {
  const home = await Deno.makeTempDir({ prefix: "crabbox-cmd-" });
  await Deno.mkdir(`${home}/tmp`);
  const io = new CapturedIo();
  const clock = options.clock ?? new ManualClock();
  const hetzner = new MemoryHetzner(clock);
  const signals = new FakeSignals();
  const env: Record<string, string> = {
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_STATE_HOME: `${home}/.local/state`,
    HCLOUD_TOKEN: CANARY_TOKEN,
    CRABBOX_NO_SWEEP: "1",
    ...options.env,
  };
  const deps: Deps = {
    hetzner: () => {
      if (!env.HCLOUD_TOKEN && !env.HETZNER_TOKEN) {
        throw authError("HCLOUD_TOKEN is not set");
      }
      return hetzner;
    },
    proc: options.proc ?? realProcess,
    fs: { ...realFs, cwd: () => options.cwd ?? home },
    env: { get: (name) => env[name], all: () => ({ ...env }) },
    clock,
    random: { bytes: (n) => new Uint8Array(n).map((_, i) => (i * 37 + 11) & 0xff) },
    io,
    net: options.net ?? { tcpProbe: () => Promise.resolve(false) },
    signals,
    system: {
      user: () => "alice",
      hostname: () => "laptop",
      // The real uid and a temp dir of this home: the ssh socket dir is real, and no test sees another's.
      uid: () => Deno.uid(),
      tmpDir: () => `${home}/tmp`,
      homeDir: () => home,
      pid: () => 4242,
      processAlive: (pid) => pid === 4242,
      runtime: () => ({ deno: "2.9.6", target: "x86_64-unknown-linux-gnu" }),
    },
    prompt: options.prompt ?? new ScriptedPrompter(),
  };
  return {
    io,
    signals,
    clock,
    hetzner,
    deps,
    home,
    async run(...argv: string[]) {
      io.reset();
      const code = await main(argv, deps, new Redactor());
      return { code, stdout: io.stdout, stderr: io.stderr };
    },
    cleanup: () => Deno.remove(home, { recursive: true }),
  };
}

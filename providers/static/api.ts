/**
 * `provider: ssh`: the provider port served by hosts that already exist. A "server" is a host's lease
 * slot, present while a lease holds it; its labels are the lease record on the host
 * (<workRoot>/.crabbox/lease.json, written under flock by scripts/lease.sh). Create claims a free slot,
 * delete frees it and removes crabbox's own files there — the host itself is never touched. SSH keys,
 * actions, prices and locations do not exist: those calls are no-ops or empty.
 */
import type { Deps } from "../../core/deps.ts";
import { CrabboxError, notFoundError, usageError } from "../../core/errors.ts";
import type {
  Action,
  BoxKeys,
  CallOptions,
  CreateServerRequest,
  Firewall,
  HetznerApi,
  Image,
  Labels,
  Location,
  Network,
  ProviderTerms,
  Server,
  ServerCount,
  ServerType,
  SshKey,
  WriteAccess,
} from "../hetzner/port.ts";
import leaseScript from "./scripts/lease.sh" with { type: "text" };
import { describeHost, hostId, type StaticHost } from "./hosts.ts";
import { type HostKeyOptions, pinnedHostKey } from "./host_keys.ts";
import { remoteBash, staticSshArgs, type StaticSshOptions } from "./ssh.ts";
import { matchesSelector } from "./selector.ts";

export interface StaticApiOptions extends StaticSshOptions, Omit<HostKeyOptions, "pinFile" | "notify"> {
  hosts: StaticHost[];
  /** The error when keyFile does not exist (checked before the first connection). */
  keyMissing: () => CrabboxError;
  notify: (message: string) => void;
  debug?: (message: string) => void;
}

/** What a host keeps about its lease. */
interface LeaseFile {
  lease: string;
  name: string;
  createdMs: number;
  labels: Labels;
}

type StaticDeps = Pick<Deps, "proc" | "fs" | "clock">;
const decoder = new TextDecoder();

export function createStaticApi(deps: StaticDeps, options: StaticApiOptions): HetznerApi {
  return new StaticHostsApi(deps, options);
}

class StaticHostsApi implements HetznerApi {
  readonly #deps: StaticDeps;
  readonly #options: StaticApiOptions;
  readonly #pins = new Map<number, Promise<string>>();
  #keyChecked: Promise<void> | null = null;
  /** Its servers are lease slots on hosts: claimed and freed, never created or deleted. */
  readonly terms: ProviderTerms = {
    label: "ssh",
    server: (id) => {
      const host = this.#host(id);
      return host ? `static host ${describeHost(host)}` : `static host ${id}`;
    },
    servers: (count) => (count === 1 ? "lease" : "leases"),
    verbs: { delete: "free", deleting: "freeing", deleted: "freed" },
    priced: false,
    created: (server) => `claimed ${this.terms.server(server.id)} for ${server.name}`,
  };
  /** The latest record read or written per host id: writes and deletes name the lease they act on. */
  readonly #known = new Map<number, LeaseFile>();

  constructor(deps: StaticDeps, options: StaticApiOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  async listServers(
    query: { labelSelector?: string; name?: string },
    options?: CallOptions,
  ): Promise<Server[]> {
    const all = await Promise.all(this.#options.hosts.map((host) => this.#read(host, options?.signal)));
    return all.filter((s): s is Server => s !== null).filter((s) =>
      matchesSelector(query.labelSelector, s.labels) && (query.name === undefined || s.name === query.name)
    );
  }

  async getServer(id: number, options?: CallOptions): Promise<Server | null> {
    const host = this.#host(id);
    return host ? await this.#read(host, options?.signal) : null;
  }

  async createServer(
    request: CreateServerRequest,
    options?: CallOptions,
  ): Promise<{ server: Server; actionId: number | null }> {
    const record: LeaseFile = {
      lease: request.labels.lease,
      name: request.name,
      createdMs: this.now(),
      labels: request.labels,
    };
    const busy: string[] = [];
    for (const host of this.#options.hosts) {
      const answer = await this.#run(
        host,
        ["claim", host.workRoot, record.lease],
        JSON.stringify(record),
        options,
      );
      if (answer === "CLAIMED") {
        this.#known.set(hostId(host), record);
        return { server: this.#server(host, record), actionId: null };
      }
      busy.push(`${describeHost(host)} by ${answer.replace(/^BUSY /, "")}`);
    }
    throw new CrabboxError("provider", `every static host is leased (${busy.join("; ")})`, {
      hint: "share a lease: crabbox run --id <lease> …; or free one: crabbox stop <lease>",
    });
  }

  async replaceServerLabels(id: number, labels: Labels, options?: CallOptions): Promise<Server> {
    const host = this.#host(id);
    const current = host ? (this.#known.get(id) ?? await this.#readFile(host, options?.signal)) : null;
    if (!host || !current || current.lease !== labels.lease) throw this.#gone(id, labels.lease);
    const record = { ...current, labels };
    const answer = await this.#run(
      host,
      ["write", host.workRoot, record.lease],
      JSON.stringify(record),
      options,
    );
    if (answer !== "WRITTEN") throw this.#gone(id, labels.lease);
    this.#known.set(id, record);
    return this.#server(host, record);
  }

  async deleteServer(id: number, options?: CallOptions): Promise<"deleted" | "gone"> {
    const host = this.#host(id);
    const current = host ? (this.#known.get(id) ?? await this.#readFile(host, options?.signal)) : null;
    if (!host || !current) return "gone";
    const answer = await this.#run(host, ["release", host.workRoot, current.lease], undefined, options);
    this.#known.delete(id);
    return answer === "RELEASED" ? "deleted" : "gone";
  }

  async boxKeys(server: Server): Promise<BoxKeys | null> {
    const host = this.#host(server.id);
    if (!host) return null;
    return {
      privateKey: await this.#deps.fs.readTextFile(this.#options.keyFile),
      hostPublicKey: await this.#pin(host),
    };
  }

  getAction(): Promise<Action | null> {
    return Promise.resolve(null);
  }

  listSshKeys(): Promise<SshKey[]> {
    return Promise.resolve([]);
  }

  /** A static host trusts the user's own key (ssh.key); nothing is uploaded. */
  createSshKey(request: { name: string; publicKey: string; labels: Labels }): Promise<SshKey> {
    return Promise.resolve({ id: 0, fingerprint: "", createdMs: this.now(), ...request });
  }

  deleteSshKey(): Promise<"deleted" | "gone"> {
    return Promise.resolve("gone");
  }

  listServerTypes(): Promise<ServerType[]> {
    return Promise.resolve([]);
  }

  listLocations(): Promise<Location[]> {
    return Promise.resolve([]);
  }

  /** Snapshots, private networks and firewalls are Hetzner's: a static host has none (checkpoints, ponds, allowCidrs). */
  listImages(): Promise<Image[]> {
    return Promise.resolve([]);
  }

  getImage(): Promise<Image | null> {
    return Promise.resolve(null);
  }

  createSnapshot(): Promise<{ image: Image; actionId: number | null }> {
    return Promise.reject(hetznerOnly("checkpoints"));
  }

  replaceImageLabels(): Promise<Image> {
    return Promise.reject(hetznerOnly("checkpoints"));
  }

  deleteImage(): Promise<"deleted" | "gone"> {
    return Promise.resolve("gone");
  }

  listNetworks(): Promise<Network[]> {
    return Promise.resolve([]);
  }

  getNetwork(): Promise<Network | null> {
    return Promise.resolve(null);
  }

  createNetwork(): Promise<Network> {
    return Promise.reject(hetznerOnly("ponds"));
  }

  deleteNetwork(): Promise<"deleted" | "gone"> {
    return Promise.resolve("gone");
  }

  listFirewalls(): Promise<Firewall[]> {
    return Promise.resolve([]);
  }

  createFirewall(): Promise<Firewall> {
    return Promise.reject(hetznerOnly("ssh.allowCidrs firewalls"));
  }

  deleteFirewall(): Promise<"deleted" | "gone" | "in_use"> {
    return Promise.resolve("gone");
  }

  async countServers(query: { labelSelector?: string }, options?: CallOptions): Promise<ServerCount> {
    return { total: (await this.listServers(query, options)).length, rateLimit: null };
  }

  probeWriteAccess(): Promise<WriteAccess> {
    return Promise.resolve({ kind: "read_write" });
  }

  now(): number {
    return this.#deps.clock.now();
  }

  clockSynced(): Promise<void> {
    return Promise.resolve();
  }

  #host(id: number): StaticHost | undefined {
    return this.#options.hosts.find((host) => hostId(host) === id);
  }

  #server(host: StaticHost, record: LeaseFile): Server {
    return {
      id: hostId(host),
      name: record.name,
      status: "running",
      createdMs: record.createdMs,
      ipv4: host.host,
      labels: record.labels,
      serverType: "static",
      location: null,
    };
  }

  #gone(id: number, leaseId: string | undefined): CrabboxError {
    const host = this.#host(id);
    return notFoundError(
      `lease ${leaseId ?? "?"} no longer holds ${host ? describeHost(host) : `static host ${id}`}`,
      "start a new lease",
    );
  }

  async #read(host: StaticHost, signal?: AbortSignal): Promise<Server | null> {
    const record = await this.#readFile(host, signal);
    return record ? this.#server(host, record) : null;
  }

  async #readFile(host: StaticHost, signal?: AbortSignal): Promise<LeaseFile | null> {
    const text = await this.#run(host, ["read", host.workRoot], undefined, { signal });
    if (text === "") {
      this.#known.delete(hostId(host));
      return null;
    }
    let record: LeaseFile;
    try {
      record = JSON.parse(text) as LeaseFile;
    } catch {
      throw new CrabboxError("provider", `the lease record on ${describeHost(host)} is not JSON`, {
        hint: `inspect ${host.workRoot}/.crabbox/lease.json on the host`,
      });
    }
    this.#known.set(hostId(host), record);
    return record;
  }

  #pin(host: StaticHost): Promise<string> {
    const id = hostId(host);
    let pin = this.#pins.get(id);
    if (!pin) {
      pin = pinnedHostKey(this.#deps, host, this.#options);
      pin.catch(() => this.#pins.delete(id));
      this.#pins.set(id, pin);
    }
    return pin;
  }

  #checkKey(): Promise<void> {
    return this.#keyChecked ??= this.#deps.fs.lstat(this.#options.keyFile).then((info) => {
      if (!info) {
        this.#keyChecked = null;
        throw this.#options.keyMissing();
      }
    });
  }

  /** Runs one lease.sh op on the host; its trimmed stdout. */
  async #run(host: StaticHost, args: string[], stdin?: string, options?: CallOptions): Promise<string> {
    await this.#checkKey();
    await this.#pin(host);
    options?.signal?.throwIfAborted();
    const argv = [...staticSshArgs(host, this.#options), remoteBash(leaseScript, args)];
    this.#options.debug?.(`static ${args[0]} ${describeHost(host)}`);
    const result = await this.#deps.proc.run("ssh", argv, { stdin, signal: options?.signal });
    options?.signal?.throwIfAborted();
    if (result.code === 0) return decoder.decode(result.stdout).trim();
    const stderr = decoder.decode(result.stderr).trim();
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/i.test(stderr)) {
      throw new CrabboxError(
        "remote",
        `the host key of ${describeHost(host)} does not match its pinned key`,
        {
          hint:
            `nothing was sent; if the host was reinstalled, remove its line from ${this.#options.pinFile}`,
        },
      );
    }
    throw new CrabboxError(
      result.code === 255 ? "provider" : "remote",
      `static host ${describeHost(host)}: ${args[0]} of the lease record failed (exit ${result.code})${
        stderr ? `: ${stderr.split("\n").at(-1)}` : ""
      }`,
      { hint: "check that the host is reachable with ssh.key and that static.workRoot is writable there" },
    );
  }
}

function hetznerOnly(feature: string): CrabboxError {
  return usageError(
    `${feature} need provider hetzner: static hosts have no snapshots, private networks or cloud firewalls`,
    "drop provider: ssh (or --provider ssh) for this command",
  );
}

/** The label writes of one run on its lease (SPEC §3.5): no GET while a copy is fresh, each remembered. */
import type { Deps } from "../core/deps.ts";
import type { HetznerApi, Server } from "../providers/hetzner/port.ts";
import {
  known,
  type KnownServer,
  newest,
  rememberedCopy,
  rememberServer,
  type Touch,
  touchKnown,
  touchServer,
} from "./labels_write.ts";
import type { HeldLease } from "./run_lease.ts";
import { readLeaseRecord } from "./store.ts";

/**
 * The run's label writes: each merges onto the latest copy this machine read or wrote (no GET while it is
 * fresh) — the run's own, or a newer one another process here remembered — and is remembered in turn.
 */
export class LeaseLabels {
  #current: KnownServer;
  readonly #deps: Deps;
  readonly #api: HetznerApi;
  readonly #leaseId: string;
  #readFirst = false;
  #writing: Promise<unknown> = Promise.resolve();
  #saysRunning = false;

  constructor(deps: Deps, api: HetznerApi, lease: HeldLease) {
    this.#deps = deps;
    this.#api = api;
    this.#leaseId = lease.leaseId;
    this.#current = lease.known;
  }

  /** The latest copy (release merges its label onto it). */
  get current(): KnownServer {
    return this.#current;
  }

  /** A copy learned elsewhere (the lease was resolved again): kept when newer. */
  learn(copy: KnownServer): void {
    this.#current = newest(this.#current, copy);
  }

  /** Another holder wrote since any copy here (the lock came after a wait): the next write reads first. */
  stale(): void {
    this.#readFirst = true;
  }

  /** This run's last write set it `running`, or may have (a run that never took the lock sets it back). */
  get saysRunning(): boolean {
    return this.#saysRunning;
  }

  /** Ends when no write is in flight. */
  async settled(): Promise<void> {
    await this.#writing;
  }

  /** Writes go out one after another: each merges onto what the one before it wrote. */
  touch(change: Touch, signal: AbortSignal): Promise<Server> {
    const write = this.#writing.then(() => this.#touch(change, signal));
    // A write that failed may still have landed: the next one reads the labels first.
    this.#writing = write.catch(() => {
      this.#readFirst = true;
    });
    return write;
  }

  async #touch(change: Touch, signal: AbortSignal): Promise<Server> {
    // Counted from when it is sent: a write cut short may still have landed.
    if (change.state === "running") this.#saysRunning = true;
    if (this.#readFirst) {
      this.#current = known(this.#api, await touchServer(this.#api, this.#current.server.id, change, signal));
      this.#readFirst = false;
    } else {
      const record = await readLeaseRecord(this.#deps, this.#leaseId);
      this.#current = newest(this.#current, rememberedCopy(this.#deps, record, { anyState: true }));
      this.#current = await touchKnown(this.#api, this.#current, change, signal);
    }
    if (change.state !== undefined && change.state !== "running") this.#saysRunning = false;
    await rememberServer(this.#deps, this.#api, this.#current.server);
    return this.#current.server;
  }
}

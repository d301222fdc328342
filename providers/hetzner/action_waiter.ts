/**
 * Waiting on Hetzner actions, in one place (as hetznercloud/cli's ActionWaiter): GET /actions/{id}, a
 * failed action turned into one typed error, and every pause taken on the injected clock.
 */
import type { Clock } from "../../core/deps.ts";
import { CrabboxError } from "../../core/errors.ts";
import type { HetznerApi } from "./port.ts";

/** An action crabbox started and watches. */
export interface WatchedAction {
  id: number;
  /** Hetzner's command name, for the message: "create_server". */
  command: string;
  /** The user's next step when it failed. */
  hint: string;
}

export class ActionFailedError extends CrabboxError {
  constructor(action: WatchedAction, message: string | undefined) {
    super("provider", `${action.command} action failed: ${message ?? "unknown error"}`, {
      hint: action.hint,
    });
  }
}

export interface PollPlan<T> {
  /** One look at what is awaited: its value once there, else null. May throw to stop the wait. */
  poll: () => Promise<T | null>;
  /** Pause before poll n (n ≥ 1; the first poll is at once). */
  delayMs: (poll: number) => number;
  /** The action is looked at after every `actionEvery`-th poll (it costs a request of its own). */
  actionEvery: number;
  deadlineMs: number;
  onTimeout: () => Error;
  signal?: AbortSignal;
}

export class ActionWaiter {
  readonly #api: Pick<HetznerApi, "getAction">;
  readonly #clock: Pick<Clock, "now" | "sleep">;

  constructor(api: Pick<HetznerApi, "getAction">, clock: Pick<Clock, "now" | "sleep">) {
    this.#api = api;
    this.#clock = clock;
  }

  /** One look; throws ActionFailedError when Hetzner says the action failed. */
  async check(action: WatchedAction, signal?: AbortSignal): Promise<void> {
    const current = await this.#api.getAction(action.id, { signal });
    if (current?.status === "error") throw new ActionFailedError(action, current.error?.message);
  }

  /**
   * Polls until `poll` has a value, failing fast when the action (if any) failed: a server can get its
   * IP before its create action reports the error, and waiting past that would spend the whole budget.
   */
  async pollWhileRunning<T>(action: WatchedAction | null, plan: PollPlan<T>): Promise<T> {
    for (let poll = 0;; poll++) {
      if (this.#clock.now() >= plan.deadlineMs) throw plan.onTimeout();
      if (poll > 0) await this.#clock.sleep(plan.delayMs(poll), plan.signal);
      const value = await plan.poll();
      if (action && poll % plan.actionEvery === plan.actionEvery - 1) await this.check(action, plan.signal);
      if (value !== null) return value;
    }
  }
}

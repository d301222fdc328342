/** What every command receives: the Deps, the global flags, and the invocation's output and abort signal. */
import type { Deps } from "../core/deps.ts";
import { Output } from "../core/output.ts";
import type { Redactor } from "../core/redact.ts";
import { decideStyle, styleEnv } from "../core/terminal_style.ts";
import type { HetznerApi } from "../providers/hetzner/port.ts";
import { type PriceSource, priceSource } from "../lease/prices.ts";

interface GlobalFlags {
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
  /** false with --no-color. */
  color?: boolean;
  sweep?: boolean;
  profile?: string;
  provider?: string;
  /** provider ssh flags by config key (`static.host`, `ssh.key`, …); unset ones are undefined. */
  static?: Record<string, unknown>;
  acceptHostKey?: boolean;
}

export class CommandContext {
  readonly deps: Deps;
  readonly redactor: Redactor;
  /** Aborted by the first Ctrl-C / SIGTERM / SIGHUP or a closed stdout/stderr; the reason is the typed error. */
  readonly interrupt: AbortController = new AbortController();
  /** Set by commands whose exit code is not 0 without an error (run passes the remote code through). */
  exitCode = 0;
  /** Set by a use case while it holds resources: prints what may remain when a second signal exits at once. */
  onSecondInterrupt: (() => void) | null = null;
  /** Set once the provider ssh flags were weighed (cli/static_provider.ts), so their warning prints once. */
  staticFlagsWeighed = false;
  #output: Output | null = null;
  #globals: GlobalFlags = {};
  #hetzner: HetznerApi | null = null;
  /** Set by the settings when the config names another provider (static hosts): builds its port. */
  #provider: { key: string; build: () => HetznerApi } | null = null;
  #prices: PriceSource | null = null;
  #background: (() => Promise<void>)[] = [];

  /** Work that must end before the process does (the automatic sweep). */
  addBackground(finish: () => Promise<void>): void {
    this.#background.push(finish);
  }

  async finishBackground(): Promise<void> {
    const pending = this.#background.splice(0);
    await Promise.allSettled(pending.map((finish) => finish()));
  }

  constructor(deps: Deps, redactor: Redactor) {
    this.deps = deps;
    this.redactor = redactor;
  }

  setGlobals(globals: GlobalFlags): void {
    this.#output?.endProgress();
    this.#globals = globals;
    this.#output = null;
  }

  /** Clears the live progress line, if one was ever drawn (every exit path, before the last lines). */
  endProgress(): void {
    this.#output?.endProgress();
  }

  get globals(): GlobalFlags {
    return this.#globals;
  }

  /** Serve the provider port with another implementation (provider ssh) instead of the Hetzner client. */
  useProvider(key: string, build: () => HetznerApi): void {
    this.#provider = { key, build };
  }

  /** The provider port (the Hetzner client unless useProvider chose another), built on first use. */
  hetzner(endpointFromConfig?: string): HetznerApi {
    if (this.#provider) return this.#hetzner ??= this.#provider.build();
    this.#hetzner ??= this.deps.hetzner({
      endpoint: endpointFromConfig,
      notify: (message) => this.out.progress(message),
      // Without --debug the client formats nothing (no bodies are redacted only to be dropped).
      debug: this.out.options.debug ? (message) => this.out.debug(message) : undefined,
    });
    return this.#hetzner;
  }

  /** What per-endpoint state on this machine is keyed by (sweep throttle, price cache). */
  endpointKey(endpointFromConfig?: string): string {
    if (this.#provider) return this.#provider.key;
    return this.deps.env.get("HCLOUD_ENDPOINT") ?? endpointFromConfig ?? "default";
  }

  /** Server-type prices (cached a day per endpoint), fetched on first use; never fails a command. */
  prices(endpointFromConfig?: string): PriceSource {
    this.#prices ??= priceSource(this.deps, this.hetzner(endpointFromConfig), {
      endpoint: this.endpointKey(endpointFromConfig),
      signal: this.interrupt.signal,
      debug: (message) => this.out.debug(message),
    });
    return this.#prices;
  }

  get out(): Output {
    if (this.#output) return this.#output;
    const { io, env, clock } = this.deps;
    const quiet = !!this.#globals.quiet;
    const json = !!this.#globals.json;
    const style = decideStyle({
      stdoutIsTTY: io.stdoutIsTTY,
      stderrIsTTY: io.stderrIsTTY,
      env: styleEnv((name) => env.get(name)),
      flags: { color: this.#globals.color !== false, quiet, json },
    });
    this.#output = new Output(io, this.redactor, {
      quiet,
      debug: !!this.#globals.debug || isTruthy(env.get("CRABBOX_DEBUG")),
      json,
      style,
    }, clock);
    return this.#output;
  }
}

export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

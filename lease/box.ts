/**
 * One lease's box as seen over SSH: the pinned option set, the chosen port, bookkeeping scripts,
 * the streamed command, and the ControlMaster. Argv and scripts come from ssh/; this only runs them.
 */
import type { ChildHandle, Deps, FileInfo, RunResult } from "../core/deps.ts";
import { CrabboxError } from "../core/errors.ts";
import { shellJoin, shellQuote } from "../core/format.ts";
import { runtimeDir } from "../core/xdg.ts";
import { controlSocketDir, controlSocketPath, sshBaseArgs } from "../ssh/args.ts";
import type { RemoteScript } from "../ssh/scripts.ts";
import type { LeasePaths } from "./store.ts";

export type ProbeResult = "ok" | "closed" | "auth" | "hostkey" | `not-ready(${string})`;

export interface BoxOptions {
  leaseId: string;
  paths: LeasePaths;
  user: string;
  host: string;
  /** Candidate ports in order: [ssh.port, ...fallbackPorts]. */
  ports: number[];
  workRoot: string;
  connectTimeoutSecs: number;
  /** Seconds an idle ControlMaster lingers (ssh.controlPersist); 0 turns multiplexing off. */
  controlPersist: number;
  /** ssh -F: "none", or the user's ssh.configFile. */
  sshConfigFile: string;
  /** What proves the box ready over ssh: exit 0, or `not-ready <check>` (default `crabbox-ready`). */
  readyCommand?: string;
  debug: (line: string) => void;
}

const decoder = new TextDecoder();

export class Box {
  readonly leaseId: string;
  readonly host: string;
  readonly user: string;
  readonly ports: number[];
  readonly workRoot: string;
  #port: number;
  readonly #deps: Deps;
  readonly #options: BoxOptions;

  constructor(deps: Deps, options: BoxOptions) {
    this.#deps = deps;
    this.#options = options;
    this.leaseId = options.leaseId;
    this.host = options.host;
    this.user = options.user;
    this.ports = options.ports;
    this.workRoot = options.workRoot;
    this.#port = options.ports[0];
  }

  /** Creates or checks the ControlMaster socket directory before the first multiplexed connection. */
  async prepare(): Promise<void> {
    if (this.#options.controlPersist) await prepareControlSocketDir(this.#deps);
  }

  get port(): number {
    return this.#port;
  }

  usePort(port: number): void {
    this.#port = port;
  }

  #controlPath(port: number): string | null {
    if (!this.#options.controlPersist) return null;
    return controlSocketPath({
      runtimeDir: runtimeDir(this.#deps),
      tmpDir: this.#deps.system.tmpDir(),
      uid: this.#deps.system.uid(),
      leaseId: this.leaseId,
      ip: this.host,
      port,
    });
  }

  /** Is the lease's ControlMaster socket there? Channels opened together then share it, not race to make it. */
  async hasMaster(): Promise<boolean> {
    const path = this.#controlPath(this.#port);
    return path !== null && (await this.#deps.fs.lstat(path))?.special === "socket";
  }

  /** The full ssh argv up to and including the destination (SPEC §9.1). */
  sshArgs(options: { port?: number; connectTimeoutSecs?: number; multiplex?: boolean } = {}): string[] {
    const port = options.port ?? this.#port;
    return sshBaseArgs({
      leaseDir: this.#options.paths.dir,
      leaseId: this.leaseId,
      user: this.user,
      host: this.host,
      port,
      controlPath: options.multiplex === false ? null : this.#controlPath(port),
      connectTimeoutSecs: options.connectTimeoutSecs ?? this.#options.connectTimeoutSecs,
      controlPersistSecs: this.#options.controlPersist,
      configFile: this.#options.sshConfigFile,
    });
  }

  /** Does the port accept a TCP connection within timeoutMs? (Nothing is sent.) */
  accepts(port: number, timeoutMs: number): Promise<boolean> {
    return this.#deps.net.tcpProbe(this.host, port, timeoutMs);
  }

  /**
   * SPEC §5.5: TCP probe, then crabbox-ready over SSH with ConnectTimeout=5. `multiplex` (a box already
   * known ready) rides the lease's ControlMaster, or starts the one every later channel then reuses, so
   * a warm run pays one handshake, not two.
   */
  async probe(
    port: number,
    /** accepted: the caller has just seen the port accept; the ssh part alone is left. */
    options: { multiplex?: boolean; signal?: AbortSignal; accepted?: boolean } = {},
  ): Promise<ProbeResult> {
    if (!options.accepted && !(await this.accepts(port, 5_000))) return "closed";
    const result = await this.#ssh([this.#options.readyCommand ?? "crabbox-ready"], {
      port,
      connectTimeoutSecs: 5,
      multiplex: options.multiplex ?? false,
      signal: options.signal,
    });
    if (result.code === 0) return "ok";
    const stderr = decoder.decode(result.stderr);
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/i.test(stderr)) return "hostkey";
    if (/Permission denied/i.test(stderr)) return "auth";
    const notReady = decoder.decode(result.stdout).match(/not-ready\s+(\S+)/);
    if (notReady) return `not-ready(${notReady[1]})`;
    return result.code === 255 ? "closed" : "not-ready(unknown)";
  }

  /**
   * Runs a bookkeeping bash script (idempotent steps: mkdir, lock checks, prune). Retried once on a
   * connection failure (exit 255) 2 s later, as SPEC §9.2 allows for bookkeeping.
   */
  async run(remote: RemoteScript, stdin?: Uint8Array | string): Promise<RunResult> {
    const run = () => this.#ssh([remoteBash(remote.script, remote.args)], { stdin });
    const first = await run();
    if (first.code !== 255 || !isConnectionFailure(first)) return first;
    this.#options.debug(`ssh connection failed (${decoder.decode(first.stderr).trim()}); retrying once`);
    await this.#deps.clock.sleep(2_000);
    return await run();
  }

  /** Spawns the user's command channel: stdin stays open (the box-side watchdog reads it), output streams. */
  spawn(
    remote: RemoteScript,
    sinks: { stdout: (chunk: Uint8Array) => void; stderr: (chunk: Uint8Array) => void },
  ): ChildHandle {
    const argv = [...this.sshArgs(), remoteBash(remote.script, remote.args)];
    this.#options.debug(`ssh ${shellJoin(argv.slice(0, -1))} <script>`);
    return this.#deps.proc.spawn("ssh", argv, { stdin: "piped", stdout: sinks.stdout, stderr: sinks.stderr });
  }

  /** A channel whose stdin stays open and whose output the caller reads (the box lock). */
  spawnPiped(remote: RemoteScript): ChildHandle {
    const argv = [...this.sshArgs(), remoteBash(remote.script, remote.args)];
    this.#options.debug(`ssh ${shellJoin(argv.slice(0, -1))} <script>`);
    return this.#deps.proc.spawn("ssh", argv, { stdin: "piped", stdout: "piped", stderr: "piped" });
  }

  /** The `-e` value for rsync: the same pinned option set, without the destination. */
  rsyncShell(): string {
    const args = this.sshArgs();
    return shellJoin(["ssh", ...args.slice(0, -1)]);
  }

  get destination(): string {
    return `${this.user}@${this.host}`;
  }

  /** Ends the ControlMaster (before a delete, and at the end of one-shot runs). */
  async closeMaster(): Promise<void> {
    const controlPath = this.#controlPath(this.#port);
    if (!controlPath) return;
    await this.#deps.proc.run("ssh", [...this.sshArgs().slice(0, -1), "-O", "exit", this.destination]).catch(
      () => {},
    );
  }

  async #ssh(
    remote: string[],
    options: {
      port?: number;
      connectTimeoutSecs?: number;
      multiplex?: boolean;
      stdin?: Uint8Array | string;
      signal?: AbortSignal;
    },
  ): Promise<RunResult> {
    const argv = [...this.sshArgs(options), ...remote];
    this.#options.debug(`ssh ${shellJoin(argv.slice(0, -1))} ${remote.length ? "<script>" : ""}`);
    return await this.#deps.proc.run("ssh", options.stdin === undefined ? ["-n", ...argv] : argv, {
      stdin: options.stdin,
      signal: options.signal,
    });
  }
}

/**
 * SPEC §9.3: the socket directory is ours alone — a real directory, owned by this uid, mode 0700.
 * Anyone else who could write there could plant a socket and receive the session. Checked before
 * any paid step (run/warmup call this before leasing) and again before the first connection.
 */
export async function prepareControlSocketDir(deps: Pick<Deps, "env" | "fs" | "system">): Promise<void> {
  const uid = deps.system.uid();
  const dir = controlSocketDirOf(deps);
  const info = await deps.fs.lstat(dir);
  if (!info) {
    await deps.fs.mkdir(dir, { recursive: true, mode: 0o700 });
    return;
  }
  const problem = controlSocketDirProblem(dir, info, uid);
  if (problem) throw new CrabboxError("config", problem.message, { hint: problem.hint });
}

/** Where this user's ControlMaster sockets live ($XDG_RUNTIME_DIR/crabbox, else /tmp/crabbox-<uid>). */
export function controlSocketDirOf(deps: Pick<Deps, "env" | "system">): string {
  return controlSocketDir({
    runtimeDir: runtimeDir(deps),
    tmpDir: deps.system.tmpDir(),
    uid: deps.system.uid(),
  });
}

/** The rule of SPEC §9.3 for an existing socket directory (also `crabbox doctor`'s); null when it holds. */
export function controlSocketDirProblem(
  dir: string,
  info: FileInfo,
  uid: number | null,
): { message: string; hint: string } | null {
  const fix = `remove ${dir} (crabbox recreates it) or turn multiplexing off with ssh.controlPersist: 0`;
  if (info.isSymlink || !info.isDirectory) {
    return { message: `ssh control-socket directory ${dir} is not a real directory`, hint: fix };
  }
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    return {
      message: `ssh control-socket directory ${dir} is owned by uid ${info.uid}, not by you (uid ${uid})`,
      hint: fix,
    };
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    return {
      message: `ssh control-socket directory ${dir} has mode ${
        (info.mode & 0o777).toString(8)
      }; it must be 700`,
      hint: `chmod 700 ${dir}`,
    };
  }
  return null;
}

/** The remote command text: `bash -c '<script>' crabbox <args…>`, every word single-quoted. */
export function remoteBash(script: string, args: string[]): string {
  return ["bash", "-c", shellQuote(script), "crabbox-remote", ...args.map(shellQuote)].join(" ");
}

function isConnectionFailure(result: RunResult): boolean {
  return /Connection (refused|timed out|reset|closed)|No route to host|Network is unreachable|ssh: connect to host/i
    .test(
      decoder.decode(result.stderr),
    );
}

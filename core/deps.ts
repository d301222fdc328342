/**
 * The one door to the outside world. main.ts builds the real Deps; tests build fakes.
 * Nothing below main.ts touches Deno.* directly — it goes through one of these ports.
 */
import type { HetznerApi } from "../providers/hetzner/port.ts";

export interface Clock {
  /** Local wall-clock time in epoch milliseconds. Hetzner time comes from HetznerApi.now(). */
  now(): number;
  /** Resolves after ms, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls tick every ms until the returned stop is called; never keeps the process alive by itself. */
  every(ms: number, tick: () => void): () => void;
}

export interface RunOptions {
  cwd?: string;
  /** Bytes or text written to the child's stdin, which is then closed. Omitted: stdin is /dev/null. */
  stdin?: Uint8Array | string;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

export interface RunResult {
  code: number;
  /** Set when the child was killed by a signal (code is then 128 + signal number). */
  signal: string | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** "piped" gives a writer; "null" is /dev/null. Never "inherit": the terminal is reached through io. */
  stdin: "piped" | "null";
  /** "piped" collects into the handle's streams; "stream" forwards each chunk to the given sink as it arrives. */
  stdout: "piped" | ((chunk: Uint8Array) => void) | "null";
  stderr: "piped" | ((chunk: Uint8Array) => void) | "null";
}

export interface ChildHandle {
  readonly pid: number;
  /** Present when stdin is "piped". Closing it sends EOF to the child. */
  readonly stdin: WritableStream<Uint8Array> | null;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
  readonly status: Promise<{ code: number; signal: string | null }>;
  kill(signal?: "SIGTERM" | "SIGKILL" | "SIGINT"): void;
}

export interface ProcessRunner {
  /** Runs to completion and collects output. Throws CrabboxError(kind) only when the binary is missing. */
  run(cmd: string, args: string[], options?: RunOptions): Promise<RunResult>;
  spawn(cmd: string, args: string[], options: SpawnOptions): ChildHandle;
  /** Runs with the terminal attached (interactive ssh); resolves to the exit code. */
  interactive(cmd: string, args: string[]): Promise<number>;
  /** Absolute path of a binary on PATH, or null. */
  which(cmd: string): Promise<string | null>;
}

/** File types sync never opens: reading a FIFO blocks, the others are not contents at all. */
export type SpecialFileKind = "fifo" | "socket" | "block device" | "character device";

export interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  /** Set for FIFOs, sockets and devices (unset for files, directories and symlinks). */
  special?: SpecialFileKind;
  size: number;
  mode: number | null;
  mtimeMs: number | null;
  /** Inode change time and inode number: with size and mtime, what tells a rewritten file (unset in fakes). */
  ctimeMs?: number | null;
  ino?: number | null;
  /** Owner's uid (null on Windows). */
  uid: number | null;
}

export interface FileSystem {
  readTextFile(path: string): Promise<string>;
  readFile(path: string): Promise<Uint8Array>;
  /** Writes atomically (temp file + rename) with the given mode. */
  writeTextFile(path: string, data: string, options?: { mode?: number }): Promise<void>;
  writeFile(path: string, data: Uint8Array, options?: { mode?: number }): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** null when the path does not exist. Does not follow symlinks. */
  lstat(path: string): Promise<FileInfo | null>;
  /** The target of a symlink, as stored (never followed). */
  readLink(path: string): Promise<string>;
  readDir(
    path: string,
  ): Promise<{ name: string; isDirectory: boolean; isFile: boolean; isSymlink: boolean }[]>;
  chmod(path: string, mode: number): Promise<void>;
  cwd(): string;
  makeTempDir(prefix: string): Promise<string>;
}

export interface Env {
  get(name: string): string | undefined;
  /** Every variable, for allowlist matching. */
  all(): Record<string, string>;
}

export interface Terminal {
  /** Written as-is: remote command output and results. Never throws: a closed reader drops the bytes. */
  writeStdout(chunk: Uint8Array | string): void;
  /** crabbox's own lines go through here (redacted by the implementation). Never throws either. */
  writeStderr(chunk: Uint8Array | string): void;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** stderr's width in columns when it is a terminal, else null (asked each time: terminals resize). */
  stderrColumns(): number | null;
  /**
   * Called once per stream when its reader went away (EPIPE: `crabbox run … | head`). crabbox then
   * behaves as if SIGPIPE had arrived. Returns an unsubscribe function.
   */
  onClosed(handler: (stream: "stdout" | "stderr") => void): () => void;
}

export interface Net {
  /** TCP connect probe: true when a connection was accepted within timeoutMs. */
  tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean>;
}

/** What cuts a command short: a signal, or SIGPIPE's stand-in, a closed stdout/stderr. */
export type InterruptCause = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGPIPE";

export interface Signals {
  /** Subscribe to SIGINT/SIGTERM/SIGHUP. Returns an unsubscribe function. */
  on(signal: "SIGINT" | "SIGTERM" | "SIGHUP", handler: () => void): () => void;
  /** Leave at once (second Ctrl-C). */
  exitNow(code: number): never;
}

export interface Random {
  bytes(n: number): Uint8Array;
}

export interface SystemInfo {
  user(): string;
  hostname(): string;
  uid(): number | null;
  tmpDir(): string;
  homeDir(): string;
  pid(): number;
  /** Whether a local process with this pid still exists (a box lock's holder on this host). */
  processAlive(pid: number): boolean;
  /** Deno version and build target, for `version --json`. */
  runtime(): { deno: string; target: string };
}

/** One answer of a select question. */
export interface PromptChoice {
  value: string;
  label: string;
  hint?: string;
}

/**
 * Questions to the person at the terminal (`crabbox init`). Each answer is null when they cancel
 * (Ctrl-C, Esc) or the signal aborts. Nothing is asked unless `interactive`.
 */
export interface Prompter {
  /** stdin and stderr are terminals: someone is there to answer (questions go to stderr). */
  readonly interactive: boolean;
  select(
    question: { message: string; choices: PromptChoice[]; initial: string; signal?: AbortSignal },
  ): Promise<string | null>;
  /** `validate` returns the problem with a value, or null when it is fine. */
  text(question: {
    message: string;
    initial: string;
    validate?: (value: string) => string | null;
    signal?: AbortSignal;
  }): Promise<string | null>;
}

export interface HetznerFactoryOptions {
  /** User-config endpoint; HCLOUD_ENDPOINT still wins. */
  endpoint?: string;
  /** User-visible progress (rate-limit waits, skipped list items), without the "crabbox: " prefix. */
  notify: (message: string) => void;
  /** --debug lines (method, path, status, duration, correlation id, redacted bodies); absent without --debug. */
  debug?: (message: string) => void;
}

export interface Deps {
  /** Built on demand: offline commands never read the token. Throws an auth error when it is missing. */
  hetzner(options: HetznerFactoryOptions): HetznerApi;
  proc: ProcessRunner;
  fs: FileSystem;
  env: Env;
  clock: Clock;
  random: Random;
  io: Terminal;
  net: Net;
  signals: Signals;
  system: SystemInfo;
  prompt: Prompter;
}

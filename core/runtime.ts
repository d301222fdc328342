/**
 * The real adapters behind Deps. This file and main.ts are the only product code that touches Deno.*.
 */
import { homedir, hostname, tmpdir, userInfo } from "node:os";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import type {
  ChildHandle,
  Clock,
  Env,
  FileSystem,
  Net,
  ProcessRunner,
  Random,
  RunOptions,
  RunResult,
  Signals,
  SpawnOptions,
  SystemInfo,
  Terminal,
} from "./deps.ts";
import { CrabboxError } from "./errors.ts";

const encoder = new TextEncoder();

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms);
    Deno.unrefTimer(timer);
    return () => clearInterval(timer);
  },
};

function missingBinary(cmd: string): CrabboxError {
  const kind = cmd === "rsync" ? "sync" : "usage";
  return new CrabboxError(kind, `${cmd} not found on PATH`, {
    hint: `install ${cmd === "ssh" || cmd === "ssh-keygen" ? "openssh-client" : cmd} and try again`,
  });
}

/** Starts the binary; a missing one is crabbox's typed error (exit 2 or 6), not Deno's NotFound. */
function start(cmd: string, options: Deno.CommandOptions): Deno.ChildProcess {
  try {
    return new Deno.Command(cmd, options).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw missingBinary(cmd);
    throw error;
  }
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

function exitOf(status: Deno.CommandStatus): { code: number; signal: string | null } {
  if (status.signal) return { code: 128 + (SIGNAL_NUMBERS[status.signal] ?? 0), signal: status.signal };
  return { code: status.code, signal: null };
}

/** Never rejects: a failing sink must not become an unhandled rejection while the child still runs. */
async function pump(stream: ReadableStream<Uint8Array>, sink: (chunk: Uint8Array) => void): Promise<void> {
  try {
    for await (const chunk of stream) sink(chunk);
  } catch {
    // for-await has cancelled the stream already; the child's status still settles the handle.
  }
}

export const realProcess: ProcessRunner = {
  async run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    const child = start(cmd, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: options.signal,
    });
    // Written while the output is read: a child that answers as it reads (git cat-file --batch-check)
    // would otherwise fill its stdout pipe and stop reading, and both sides would wait forever.
    const writing = (async () => {
      if (options.stdin === undefined) return;
      const writer = child.stdin.getWriter();
      const data = typeof options.stdin === "string" ? encoder.encode(options.stdin) : options.stdin;
      // A child that exits without reading stdin closes the pipe; that is not our failure.
      await writer.write(data).catch(() => {});
      await writer.close().catch(() => {});
    })();
    const [output] = await Promise.all([child.output(), writing]);
    return { ...exitOf(output), stdout: output.stdout, stderr: output.stderr };
  },

  spawn(cmd: string, args: string[], options: SpawnOptions): ChildHandle {
    const child = start(cmd, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdin: options.stdin,
      stdout: options.stdout === "null" ? "null" : "piped",
      stderr: options.stderr === "null" ? "null" : "piped",
    });
    const pumps: Promise<void>[] = [];
    let stdout: ReadableStream<Uint8Array> | null = null;
    let stderr: ReadableStream<Uint8Array> | null = null;
    if (typeof options.stdout === "function") pumps.push(pump(child.stdout, options.stdout));
    else if (options.stdout === "piped") stdout = child.stdout;
    if (typeof options.stderr === "function") pumps.push(pump(child.stderr, options.stderr));
    else if (options.stderr === "piped") stderr = child.stderr;
    const status = child.status.then(async (s) => {
      await Promise.allSettled(pumps);
      return exitOf(s);
    });
    return {
      pid: child.pid,
      stdin: options.stdin === "piped" ? child.stdin : null,
      stdout,
      stderr,
      status,
      kill: (signal = "SIGTERM") => {
        try {
          child.kill(signal);
        } catch {
          // already exited
        }
      },
    };
  },

  async interactive(cmd: string, args: string[]): Promise<number> {
    const child = start(cmd, { args, stdin: "inherit", stdout: "inherit", stderr: "inherit" });
    return exitOf(await child.status).code;
  },

  async which(cmd: string): Promise<string | null> {
    const path = Deno.env.get("PATH") ?? "";
    for (const dir of path.split(":")) {
      if (!dir) continue;
      const candidate = join(dir, cmd);
      try {
        const info = await Deno.stat(candidate);
        if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
      } catch {
        // not here
      }
    }
    return null;
  },
};

export const realFs: FileSystem = {
  readTextFile: (path) => Deno.readTextFile(path),
  readFile: (path) => Deno.readFile(path),
  async writeTextFile(path, data, options = {}) {
    await realFs.writeFile(path, encoder.encode(data), options);
  },
  async writeFile(path, data, options = {}) {
    const tmp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
    await Deno.writeFile(tmp, data, { mode: options.mode ?? 0o644 });
    if (options.mode !== undefined) await Deno.chmod(tmp, options.mode);
    await Deno.rename(tmp, path);
  },
  async mkdir(path, options = {}) {
    await Deno.mkdir(path, { recursive: options.recursive, mode: options.mode });
    if (options.mode !== undefined) await Deno.chmod(path, options.mode);
  },
  async remove(path, options = {}) {
    try {
      await Deno.remove(path, { recursive: options.recursive });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  },
  async lstat(path) {
    try {
      const info = await Deno.lstat(path);
      return {
        isFile: info.isFile,
        isDirectory: info.isDirectory,
        isSymlink: info.isSymlink,
        special: info.isFifo
          ? "fifo"
          : info.isSocket
          ? "socket"
          : info.isBlockDevice
          ? "block device"
          : info.isCharDevice
          ? "character device"
          : undefined,
        size: info.size,
        mode: info.mode,
        mtimeMs: info.mtime?.getTime() ?? null,
        ctimeMs: info.ctime?.getTime() ?? null,
        ino: info.ino,
        uid: info.uid,
      };
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  },
  readLink: (path) => Deno.readLink(path),
  async readDir(path) {
    const entries = [];
    for await (const entry of Deno.readDir(path)) {
      entries.push({
        name: entry.name,
        isDirectory: entry.isDirectory,
        isFile: entry.isFile,
        isSymlink: entry.isSymlink,
      });
    }
    return entries;
  },
  chmod: (path, mode) => Deno.chmod(path, mode),
  cwd: () => Deno.cwd(),
  makeTempDir: (prefix) => Deno.makeTempDir({ prefix }),
};

export const realEnv: Env = {
  get: (name) => Deno.env.get(name),
  all: () => Deno.env.toObject(),
};

export function realTerminal(redact: (text: string) => string): Terminal {
  const closed = { stdout: false, stderr: false };
  const listeners = new Set<(stream: "stdout" | "stderr") => void>();
  const write = (stream: "stdout" | "stderr", chunk: Uint8Array | string) => {
    if (closed[stream]) return;
    const fd = stream === "stdout" ? Deno.stdout : Deno.stderr;
    const bytes = typeof chunk === "string" ? encoder.encode(redact(chunk)) : chunk;
    try {
      let offset = 0;
      while (offset < bytes.length) offset += fd.writeSync(bytes.subarray(offset));
    } catch (error) {
      // Drop this and every later write. Only a reader that went away (EPIPE from `| head`) stops the
      // run, as SIGPIPE would; EIO from a hung-up terminal comes with its own SIGHUP, and a stream closed
      // from the start (`2>&-`) is the user's choice to see nothing.
      closed[stream] = true;
      if (error instanceof Deno.errors.BrokenPipe) { for (const listener of listeners) listener(stream); }
    }
  };
  return {
    writeStdout: (chunk) => write("stdout", chunk),
    writeStderr: (chunk) => write("stderr", chunk),
    stdoutIsTTY: Deno.stdout.isTerminal(),
    stderrIsTTY: Deno.stderr.isTerminal(),
    stderrColumns: () => {
      if (!Deno.stderr.isTerminal()) return null;
      try {
        return Deno.consoleSize().columns;
      } catch {
        return null;
      }
    },
    onClosed(handler) {
      listeners.add(handler);
      return () => listeners.delete(handler);
    },
  };
}

export const realNet: Net = {
  tcpProbe: (host, port, timeoutMs) =>
    new Promise((resolve) => {
      const socket = connect({ host, port });
      const done = (ok: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      socket.once("connect", () => done(true));
      socket.once("error", () => done(false));
    }),
};

export const realSignals: Signals = {
  exitNow: (code) => Deno.exit(code),
  on(signal, handler) {
    Deno.addSignalListener(signal, handler);
    return () => {
      try {
        Deno.removeSignalListener(signal, handler);
      } catch {
        // already removed
      }
    };
  },
};

export const realRandom: Random = {
  bytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
};

export const realSystem: SystemInfo = {
  user: () => {
    try {
      return userInfo().username;
    } catch {
      return Deno.env.get("USER") ?? "unknown";
    }
  },
  hostname: () => hostname().split(".")[0] || "localhost",
  uid: () => Deno.uid(),
  tmpDir: () => tmpdir(),
  homeDir: () => homedir(),
  pid: () => Deno.pid,
  processAlive: (pid) => {
    // `kill -0`, not node's process.kill: that needs permission to run every program, and the
    // release binary may run only the programs it names (tools/permissions).
    if (!Number.isSafeInteger(pid) || pid <= 0) return false;
    try {
      const out = new Deno.Command("kill", { args: ["-0", String(pid)], stdout: "null", stderr: "piped" })
        .outputSync();
      // EPERM: it exists, under another user.
      return out.success || /not permitted/i.test(new TextDecoder().decode(out.stderr));
    } catch {
      // No kill binary: call the holder alive, so its box is never taken from under it.
      return true;
    }
  },
  runtime: () => ({ deno: Deno.version.deno, target: Deno.build.target }),
};

/** Statuses whose Response must have a null body (the constructor throws otherwise). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * fetch over a connection of its own, closed once the answer is read. Deno's fetch transparently
 * re-sends a request whose *pooled* connection closed before the answer (a stale keep-alive
 * connection, or a server that read the request and then died): harmless for a GET, a second server
 * for a POST /servers. A connection that was never pooled is never re-sent, so every non-idempotent
 * Hetzner call goes through here. The body is read before the client closes.
 */
export async function fetchOnFreshConnection(
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<Response> {
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const response = await fetch(input, { ...init, client });
    const body = await response.arrayBuffer();
    return new Response(NULL_BODY_STATUS.has(response.status) ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  } finally {
    client.close();
  }
}

/**
 * FakeBox: a box that answers over "ssh" with scripted results, behind the ports lease/box.ts uses
 * (deps.proc for ssh and ssh-keygen, deps.net for the TCP probe). The real Box builds every argv; the
 * fake reads the remote script back out of it by its text (one of ssh/scripts/*.sh) and answers as
 * the test says. No process, no socket, no sleep.
 */
import type {
  ChildHandle,
  FileSystem,
  Net,
  ProcessRunner,
  RunResult,
  SpawnOptions,
} from "../../core/deps.ts";
import type { ProbeResult } from "../../lease/box.ts";
import type { ScriptName } from "../../ssh/scripts.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** ssh/scripts/<name>.sh by its text: how the fake recognises what the Box sent. */
const SCRIPT_BY_TEXT = new Map<string, ScriptName>(
  [...Deno.readDirSync(new URL("../../ssh/scripts/", import.meta.url))].map((entry) => [
    Deno.readTextFileSync(new URL(`../../ssh/scripts/${entry.name}`, import.meta.url)),
    entry.name.replace(/\.sh$/, "") as ScriptName,
  ]),
);

export interface ScriptCall {
  name: ScriptName;
  args: string[];
  stdin: string;
}

export interface Answer {
  code: number;
  stdout?: string;
  stderr?: string;
}

/** One try of the box lock: free (held until the channel's stdin closes), held by someone, or broken. */
export type LockAnswer = "free" | { busy: Record<string, unknown> } | { broken: string };

export interface ExecCall {
  args: string[];
  write(stream: "stdout" | "stderr", text: string): void;
  /** Resolves with the signal a kill script sent to this run's group. */
  killed: Promise<string>;
}

export class FakeBox {
  /** Everything the box was asked, in order: "probe", "lock", "exec", "keygen", "close-master", or a script name. */
  readonly log: string[] = [];
  /** Every script sent, run or spawned (of a spawned channel, the env bytes exec reads first). */
  readonly scripts: ScriptCall[] = [];
  /** Readiness answers per probe, in turn (the last one repeats), or by port. */
  probes: ProbeResult[] | ((port: number) => ProbeResult) = ["ok"];
  /** Answers of Box.run by script name; unlisted scripts exit 0 and print nothing. */
  answers: Partial<Record<ScriptName, (call: ScriptCall) => Answer>> = {};
  /** Box lock tries, in turn; the last one repeats. */
  locks: LockAnswer[] = ["free"];
  /** Lock channels open right now (held locks). */
  held = 0;
  /** What the box's sync-state file says (sent after LOCKED when the lock asks for it). */
  syncState = "";
  /** The command channel: what it prints and its exit code. */
  exec: (call: ExecCall) => Answer | Promise<Answer> = () => ({ code: 0 });
  readonly proc: ProcessRunner;
  readonly net: Net;
  #probe: ProbeResult = "ok";
  #kill: (signal: string) => void = () => {};

  constructor(fs: FileSystem) {
    this.net = {
      tcpProbe: (_host, port) => {
        this.log.push("probe");
        const probes = this.probes;
        this.#probe = typeof probes === "function"
          ? probes(port)
          : probes.length > 1
          ? probes.shift()!
          : probes[0];
        return Promise.resolve(this.#probe !== "closed");
      },
    };
    this.proc = {
      run: (cmd, args, options = {}) => this.#run(fs, cmd, args, text(options.stdin)),
      spawn: (cmd, args, options) => this.#spawn(cmd, args, options),
      interactive: () => Promise.reject(new Error("FakeBox: no terminal")),
      which: (cmd) => Promise.resolve(`/usr/bin/${cmd}`),
    };
  }

  /** The script calls of one name. */
  calls(name: ScriptName): ScriptCall[] {
    return this.scripts.filter((call) => call.name === name);
  }

  async #run(fs: FileSystem, cmd: string, args: string[], stdin: string): Promise<RunResult> {
    if (cmd === "ssh-keygen") {
      this.log.push("keygen");
      const file = args[args.indexOf("-f") + 1];
      const comment = args[args.indexOf("-C") + 1];
      await fs.writeTextFile(file, "FAKE PRIVATE KEY\n", { mode: 0o600 });
      await fs.writeTextFile(`${file}.pub`, `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5FAKE ${comment}\n`);
      return result({ code: 0 });
    }
    if (cmd !== "ssh") throw new Error(`FakeBox: unexpected ${cmd} ${args.join(" ")}`);
    const remote = args.at(-1)!;
    if (args.includes("-O")) {
      this.log.push("close-master");
      return result({ code: 0 });
    }
    if (remote === "crabbox-ready") return result(readyAnswer(this.#probe));
    const call = { ...parseRemote(remote), stdin };
    this.log.push(call.name);
    this.scripts.push(call);
    if (call.name === "kill") this.#kill(call.args[2]);
    return result(this.answers[call.name]?.(call) ?? { code: 0 });
  }

  #spawn(cmd: string, args: string[], options: SpawnOptions): ChildHandle {
    if (cmd !== "ssh") throw new Error(`FakeBox: unexpected spawn of ${cmd}`);
    const { name, args: words } = parseRemote(args.at(-1)!);
    this.log.push(name);
    const call: ScriptCall = { name, args: words, stdin: "" };
    this.scripts.push(call);
    if (name === "lock") {
      return new Channel(options, async (channel) => {
        const answer = this.locks.length > 1 ? this.locks.shift()! : this.locks[0];
        if (answer === "free") {
          channel.write("stdout", "LOCKED\n");
          if (words.length >= 4) channel.write("stdout", `${this.syncState}END\n`);
          this.held++;
          await channel.stdinClosed;
          this.held--;
          return 0;
        }
        if ("busy" in answer) {
          channel.write("stdout", `BUSY ${JSON.stringify(answer.busy)}\n`);
          return 75;
        }
        channel.write("stderr", answer.broken);
        return 255;
      });
    }
    if (name !== "exec") throw new Error(`FakeBox: unexpected channel for ${name}`);
    const killed = new Promise<string>((resolve) => (this.#kill = resolve));
    return new Channel(options, async (channel) => {
      call.stdin = await channel.read(Number(words[3]));
      // exec.sh: a channel closed before all the env arrived ends (74) without starting anything.
      if (encoder.encode(call.stdin).length < Number(words[3])) return 74;
      const answer = await this.exec({ args: words, write: (s, t) => channel.write(s, t), killed });
      if (answer.stdout) channel.write("stdout", answer.stdout);
      if (answer.stderr) channel.write("stderr", answer.stderr);
      return answer.code;
    });
  }
}

/** A spawned ssh channel: stdin a writable whose close the body can await, stdout/stderr piped or sunk. */
class Channel implements ChildHandle {
  readonly pid = 4343;
  readonly stdin: WritableStream<Uint8Array> | null;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
  readonly status: Promise<{ code: number; signal: string | null }>;
  readonly stdinClosed: Promise<void>;
  #received = new Uint8Array();
  #onData = () => {};
  #closed = false;
  readonly #sinks: Record<"stdout" | "stderr", (chunk: Uint8Array) => void>;

  constructor(options: SpawnOptions, body: (channel: Channel) => Promise<number>) {
    let resolveClosed = () => {};
    this.stdinClosed = new Promise((resolve) => (resolveClosed = resolve));
    const closed = () => {
      this.#closed = true;
      resolveClosed();
      this.#onData();
    };
    const write = (chunk: Uint8Array) => {
      this.#received = new Uint8Array([...this.#received, ...chunk]);
      this.#onData();
    };
    this.stdin = options.stdin === "piped"
      ? new WritableStream({ write, close: closed, abort: closed })
      : null;
    const streams = { stdout: options.stdout, stderr: options.stderr };
    const controllers: Partial<Record<"stdout" | "stderr", ReadableStreamDefaultController<Uint8Array>>> = {};
    const pipe = (name: "stdout" | "stderr") =>
      streams[name] === "piped"
        ? new ReadableStream<Uint8Array>({ start: (c) => void (controllers[name] = c) })
        : null;
    this.stdout = pipe("stdout");
    this.stderr = pipe("stderr");
    const sink = (name: "stdout" | "stderr") => {
      const target = streams[name];
      return typeof target === "function" ? target : (chunk: Uint8Array) => controllers[name]?.enqueue(chunk);
    };
    this.#sinks = { stdout: sink("stdout"), stderr: sink("stderr") };
    // Like a process, the far side starts after spawn returned.
    this.status = Promise.resolve().then(() => body(this)).then((code) => {
      controllers.stdout?.close();
      controllers.stderr?.close();
      return { code, signal: null };
    });
  }

  /** The first n bytes the client wrote to stdin (the env file of an exec channel). */
  async read(n: number): Promise<string> {
    while (this.#received.length < n && !this.#closed) {
      await new Promise<void>((resolve) => (this.#onData = resolve));
    }
    return decoder.decode(this.#received.slice(0, n));
  }

  write(stream: "stdout" | "stderr", text: string): void {
    this.#sinks[stream](encoder.encode(text));
  }

  kill(): void {}
}

/** `bash -c '<script>' crabbox-remote 'arg'…` (lease/box.ts remoteBash) back into name and arguments. */
function parseRemote(remote: string): { name: ScriptName; args: string[] } {
  const words = shellWords(remote);
  const name = SCRIPT_BY_TEXT.get(words[2]);
  if (words[0] !== "bash" || words[1] !== "-c" || !name) {
    throw new Error(`FakeBox: not a crabbox script: ${remote.slice(0, 80)}`);
  }
  return { name, args: words.slice(4) };
}

/** Splits what core/format.ts shellQuote joined: bare words and '…' with '\'' escapes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === " ") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === "\\") {
      word = (word ?? "") + line[++i];
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

function readyAnswer(probe: ProbeResult): Answer {
  if (probe === "ok") return { code: 0 };
  if (probe === "hostkey") return { code: 255, stderr: "Host key verification failed.\n" };
  if (probe === "auth") return { code: 255, stderr: "crabbox@box: Permission denied (publickey).\n" };
  const reason = probe.match(/^not-ready\((.*)\)$/)?.[1] ?? "unknown";
  return { code: 1, stdout: `not-ready ${reason}\n` };
}

function result(answer: Answer): RunResult {
  return {
    code: answer.code,
    signal: null,
    stdout: encoder.encode(answer.stdout ?? ""),
    stderr: encoder.encode(answer.stderr ?? ""),
  };
}

function text(stdin: Uint8Array | string | undefined): string {
  return stdin === undefined ? "" : typeof stdin === "string" ? stdin : decoder.decode(stdin);
}

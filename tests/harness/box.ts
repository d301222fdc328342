/**
 * A fake server's machine: a real sshd as PID 1's child in its own net + mount + pid + uts namespaces
 * (HARNESS §5), reachable at 10.77.N.2 only through our veth. Test code, never shipped.
 */
import { parse as parseYaml } from "yaml";
import { releaseIndexSync } from "./ip_pool.ts";

export interface BoxKnobs {
  /** Present a different host key than the pinned one (host-key mismatch fault). */
  hostKeyMismatch: boolean;
  /** Never apply cloud-init: sshd stays on port 22 with root keys only. */
  sshNeverReady: boolean;
  /** Black-hole the server's address from the start: connections time out instead of being refused. */
  sshBlackhole: boolean;
}

export interface AppliedUserData {
  valid: boolean;
  problems: string[];
  user: string | null;
  ports: number[];
}

const PASSWD_LINE = "crabbox:x:1500:1500::/home/crabbox:/bin/bash\n";
const GROUP_LINE = "crabbox:x:1500:\n";

async function sh(cmd: string[], options: { allowFail?: boolean } = {}): Promise<string> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success && !options.allowFail) {
    throw new Error(`${cmd.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return text;
}

export class Box {
  readonly index: number;
  readonly dir: string;
  readonly netns: string;
  readonly hostIf: string;
  readonly ip: string;
  #child: Deno.ChildProcess | null = null;
  userData: AppliedUserData | null = null;
  /** The network namespace's inode, to find processes that outlive the server. */
  netnsInode: number | null = null;
  blackholed = false;

  constructor(readonly runId: string, index: number, readonly root: string, readonly name: string) {
    this.index = index;
    this.dir = `${root}/s${index}`;
    this.netns = `cbx-${runId}-s${index}`;
    this.hostIf = `cbx${runId}h${index}`;
    this.ip = `10.77.${index}.2`;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Server directory, network namespace and the image's host key (what exists before first boot). */
  async create(
    pinnedHostKey: { priv: string; pub: string } | null,
    rootKeys: string[],
    /** A snapshot's disk (images.ts) to boot from: copied, then the machine's own files are made. */
    fromDisk?: string,
  ): Promise<void> {
    const d = this.dir;
    // A recycled index must not inherit the last server's disk.
    await Deno.remove(d, { recursive: true }).catch(() => {});
    if (fromDisk) {
      await sh(["cp", "-a", fromDisk, d]);
      // cloud-init's ssh_deletekeys: the snapshot's host key never survives into a new instance.
      for (const f of ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"]) {
        await Deno.remove(`${d}/etc/${f}`).catch(() => {});
      }
    }
    for (
      const sub of ["etc/ssh/sshd_config.d", "home", "root/.ssh", "usr/local/bin", "var/lib/crabbox", "work"]
    ) {
      await Deno.mkdir(`${d}/${sub}`, { recursive: true });
    }
    await Deno.copyFile("/etc/passwd", `${d}/etc/passwd`);
    await Deno.copyFile("/etc/group", `${d}/etc/group`);
    // The box's own /etc/hosts (pond members' <slug>.cbx lines go here, never into the host's).
    await Deno.writeTextFile(`${d}/etc/hosts`, `127.0.0.1\tlocalhost\n127.0.1.1\t${this.name}\n`);
    await Deno.writeTextFile(`${d}/root/.ssh/authorized_keys`, rootKeys.join("\n") + "\n", { mode: 0o600 });
    await Deno.chmod(`${d}/root`, 0o700);
    if (pinnedHostKey) {
      await Deno.writeTextFile(`${d}/etc/ssh_host_ed25519_key`, pinnedHostKey.priv, { mode: 0o600 });
      await Deno.writeTextFile(`${d}/etc/ssh_host_ed25519_key.pub`, pinnedHostKey.pub + "\n");
    } else {
      await sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", `${d}/etc/ssh_host_ed25519_key`]);
    }
    await Deno.writeTextFile(
      `${d}/etc/sshd_config`,
      [
        `Include ${d}/etc/ssh/sshd_config.d/*.conf`,
        `HostKey ${d}/etc/ssh_host_ed25519_key`,
        `PidFile ${d}/sshd.pid`,
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "Subsystem sftp internal-sftp",
        "",
      ].join("\n"),
    );
    await Deno.writeTextFile(
      `${d}/start.sh`,
      `#!/bin/sh -e
mount --make-rprivate /
hostname "$SERVER_NAME"
mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/sshd
mount --bind "$D/etc/passwd" /etc/passwd; mount --bind "$D/etc/group" /etc/group
mount --bind "$D/etc/hosts" /etc/hosts
mount --bind "$D/home" /home; mount --bind "$D/root" /root
mount --bind "$D/usr/local/bin" /usr/local/bin
mount -t tmpfs -o mode=755 tmpfs /var/lib && mkdir /var/lib/crabbox && mount --bind "$D/var/lib/crabbox" /var/lib/crabbox
mount --bind "$D/work" /work
exec /usr/sbin/sshd -D -e -f "$D/etc/sshd_config"
`,
      { mode: 0o755 },
    );
    await Deno.mkdir("/work", { recursive: true });
    const peer = this.peerIf;
    await sh(["ip", "netns", "add", this.netns]);
    this.netnsInode = (await Deno.stat(`/run/netns/${this.netns}`)).ino;
    await sh(["ip", "link", "add", this.hostIf, "type", "veth", "peer", "name", peer]);
    await sh(["ip", "link", "set", peer, "netns", this.netns]);
    await sh(["ip", "addr", "add", `10.77.${this.index}.1/30`, "dev", this.hostIf]);
    await sh(["ip", "link", "set", this.hostIf, "up"]);
    await sh(["ip", "netns", "exec", this.netns, "ip", "addr", "add", `${this.ip}/30`, "dev", peer]);
    await sh(["ip", "netns", "exec", this.netns, "ip", "link", "set", peer, "up"]);
    await sh(["ip", "netns", "exec", this.netns, "ip", "link", "set", "lo", "up"]);
    const route = await sh(["ip", "route", "get", this.ip]);
    if (!route.includes(this.hostIf)) {
      throw new Error(`route to ${this.ip} does not use ${this.hostIf}: ${route}`);
    }
  }

  /** Power on: sshd as the namespace's only service. */
  powerOn(): void {
    if (this.#child) return;
    this.#child = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        this.netns,
        "unshare",
        "--mount",
        "--pid",
        "--uts",
        "--fork",
        "--kill-child",
        "--mount-proc",
        `${this.dir}/start.sh`,
      ],
      env: { D: this.dir, SERVER_NAME: this.name, PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/bin" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  }

  async powerOff(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child) return;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await this.#reapNamespace();
  }

  /**
   * The kernel kills the rest of the pid namespace after its init dies, asynchronously; on a loaded
   * machine a leak check could look first. Powered off means no process is left in the netns.
   */
  async #reapNamespace(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const pids = (await sh(["ip", "netns", "pids", this.netns], { allowFail: true })).split("\n").filter(
        Boolean,
      );
      if (pids.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`${this.netns}: processes survived power-off: ${pids.join(" ")}`);
      }
      await sh(["kill", "-KILL", ...pids], { allowFail: true });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async restart(): Promise<void> {
    await this.powerOff();
    this.powerOn();
  }

  /** cloud-init's part the harness emulates (HARNESS §4.2); runcmd is recorded, never executed. */
  async applyUserData(
    userData: string,
    validate: (yaml: string) => string[],
    knobs: BoxKnobs,
  ): Promise<void> {
    const problems = validate(userData);
    // deno-lint-ignore no-explicit-any
    let doc: any = null;
    try {
      doc = parseYaml(userData);
    } catch (error) {
      problems.push(String(error));
    }
    if (!userData.startsWith("#cloud-config") || problems.length > 0 || knobs.sshNeverReady || !doc) {
      this.userData = { valid: false, problems, user: null, ports: [22] };
      return;
    }
    const d = this.dir;
    await this.#bootcmd(doc.bootcmd);
    const user = doc.users?.find((u: { name?: string }) => u?.name === "crabbox");
    if (user) {
      await appendInPlace(`${d}/etc/passwd`, PASSWD_LINE);
      await appendInPlace(`${d}/etc/group`, GROUP_LINE);
      await Deno.mkdir(`${d}/home/crabbox/.ssh`, { recursive: true });
      await Deno.writeTextFile(
        `${d}/home/crabbox/.ssh/authorized_keys`,
        (user.ssh_authorized_keys ?? []).join("\n") + "\n",
        { mode: 0o600 },
      );
      await Deno.chmod(`${d}/home/crabbox`, 0o750);
      await Deno.chmod(`${d}/home/crabbox/.ssh`, 0o700);
      for (const path of ["home/crabbox", "home/crabbox/.ssh", "home/crabbox/.ssh/authorized_keys"]) {
        await Deno.chown(`${d}/${path}`, 1500, 1500);
      }
      // `sudo: NOPASSWD` grants root's files; the host has no sudo, so the one root file crabbox
      // writes (/etc/hosts, for ponds) is handed to the user instead.
      if (String(user.sudo ?? "").includes("NOPASSWD")) await Deno.chown(`${d}/etc/hosts`, 1500, 1500);
    }
    for (const file of doc.write_files ?? []) {
      const target = mapWritePath(d, String(file.path ?? ""));
      if (!target) continue;
      const mode = file.permissions ? parseInt(String(file.permissions), 8) : 0o644;
      await Deno.writeTextFile(target, String(file.content ?? ""), { mode });
      await Deno.chmod(target, mode);
    }
    for (const dir of ["work/crabbox", "work/crabbox/.crabbox"]) {
      await Deno.mkdir(`${d}/${dir}`, { recursive: true });
      await Deno.chmod(`${d}/${dir}`, 0o755);
      await Deno.chown(`${d}/${dir}`, 1500, 1500);
    }
    await Deno.writeTextFile(`${d}/var/lib/crabbox/bootstrapped`, "");
    if (knobs.hostKeyMismatch) {
      for (const f of ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"]) {
        await Deno.remove(`${d}/etc/${f}`).catch(() => {});
      }
      await sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", `${d}/etc/ssh_host_ed25519_key`]);
    }
    let conf = "";
    for await (const entry of Deno.readDir(`${d}/etc/ssh/sshd_config.d`)) {
      if (entry.name.endsWith(".conf")) {
        conf += await Deno.readTextFile(`${d}/etc/ssh/sshd_config.d/${entry.name}`);
      }
    }
    const ports = [...conf.matchAll(/^Port\s+(\d+)/gm)].map((m) => Number(m[1]));
    this.userData = {
      valid: true,
      problems: [],
      user: user ? "crabbox" : null,
      ports: ports.length ? ports : [22],
    };
    await this.restart();
  }

  /**
   * bootcmd runs before users and keys are written, as cloud-init's init stage does; inside the box's
   * namespaces, where only the box's own dirs (/home, /work, /var/lib/crabbox, …) are its disk.
   * `cloud-init-per <frequency> <name>` is a first boot's no-op wrapper here.
   */
  async #bootcmd(entries: unknown): Promise<void> {
    if (!Array.isArray(entries)) return;
    for (const entry of entries) {
      let argv = Array.isArray(entry) ? entry.map(String) : ["sh", "-c", String(entry)];
      if (argv[0] === "cloud-init-per") argv = argv.slice(3);
      const result = await this.exec(argv);
      this.bootcmdResults.push({ argv: argv.slice(0, 3), code: result.code, stderr: result.stderr });
    }
  }

  /** What each bootcmd entry did (for tests). */
  readonly bootcmdResults: { argv: string[]; code: number; stderr: string }[] = [];

  /** Runs argv inside the server's namespaces (mount + pid + net), e.g. to list its processes. */
  async exec(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const sshdPid = await this.#namespaceInit();
    if (!sshdPid) return { code: 255, stdout: "", stderr: "server is powered off" };
    const out = await new Deno.Command("nsenter", {
      args: ["-t", String(sshdPid), "-m", "-p", "-n", "-u", ...argv],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  }

  /** PID (host view) of the namespace's init (the start.sh that became sshd). */
  async #namespaceInit(): Promise<number | null> {
    const pid = this.pid;
    if (!pid) return null;
    const children = await sh(["sh", "-c", `cat /proc/${pid}/task/*/children 2>/dev/null || true`]);
    const first = children.trim().split(/\s+/).filter(Boolean)[0];
    return first ? Number(first) : null;
  }

  /** kill -9 the per-connection sshd processes (a hard drop mid-command); returns how many died. */
  async dropConnections(): Promise<number> {
    const result = await this.exec(["pkill", "-e", "-KILL", "-f", "^sshd(-session)?: crabbox"]);
    return result.stdout.split("\n").filter((line) => line.includes("killed")).length;
  }

  get peerIf(): string {
    return `cbx${this.runId}n${this.index}`;
  }

  /**
   * Silent packet loss (HARNESS §7): pin the server's MAC in the host's neighbour table, then remove
   * its address inside the namespace, whose kernel then drops every frame without an answer.
   */
  async blackhole(): Promise<void> {
    if (this.blackholed) return;
    const inNs = ["ip", "netns", "exec", this.netns];
    const mac = (await sh([...inNs, "cat", `/sys/class/net/${this.peerIf}/address`])).trim();
    await sh(["ip", "neigh", "replace", this.ip, "lladdr", mac, "dev", this.hostIf, "nud", "permanent"]);
    await sh([...inNs, "ip", "addr", "del", `${this.ip}/30`, "dev", this.peerIf]);
    this.blackholed = true;
  }

  async heal(): Promise<void> {
    if (!this.blackholed) return;
    await sh(["ip", "netns", "exec", this.netns, "ip", "addr", "add", `${this.ip}/30`, "dev", this.peerIf]);
    await sh(["ip", "neigh", "del", this.ip, "dev", this.hostIf], { allowFail: true });
    this.blackholed = false;
  }

  /** For unload handlers: a crashed test run must not leave namespaces or sshds behind. */
  destroySync(): void {
    try {
      this.#child?.kill("SIGKILL");
    } catch {
      // already gone
    }
    for (const args of [["netns", "del", this.netns], ["link", "del", this.hostIf]]) {
      new Deno.Command("ip", { args, stdout: "null", stderr: "null" }).outputSync();
    }
    releaseIndexSync(this.index);
  }

  async destroy(): Promise<void> {
    await this.powerOff();
    await sh(["ip", "netns", "del", this.netns], { allowFail: true });
    await sh(["ip", "link", "del", this.hostIf], { allowFail: true });
    releaseIndexSync(this.index);
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

function mapWritePath(d: string, path: string): string | null {
  if (path.startsWith("/etc/ssh/sshd_config.d/")) return `${d}${path}`;
  if (path.startsWith("/usr/local/bin/")) return `${d}${path}`;
  return null;
}

/** Single-file bind mounts pin the inode: append in place, never write-and-rename. */
async function appendInPlace(path: string, line: string): Promise<void> {
  const current = await Deno.readTextFile(path);
  if (current.includes(line)) return;
  const file = await Deno.open(path, { append: true });
  await file.write(new TextEncoder().encode(line));
  file.close();
}

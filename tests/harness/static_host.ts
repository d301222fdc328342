/**
 * A static host for `provider: ssh` tests: one harness machine (a real sshd in its own namespaces,
 * HARNESS §5) started WITHOUT the fake API — nothing is leased from a cloud, the host simply exists.
 * crabbox logs in as root with a fresh key; /work inside is `dir` outside. Test code, never shipped.
 */
import { Box } from "./box.ts";
import { claimIndex } from "./ip_pool.ts";

export interface StaticHost {
  ip: string;
  port: number;
  user: string;
  /** The client private key the host trusts (its root authorized_keys). */
  keyFile: string;
  /** `ssh-ed25519 <base64>`: the host's key, for a known_hosts line. */
  hostKey: string;
  /** The host's /work, seen from outside. */
  workDir: string;
  /** Whether sshd still accepts connections. */
  reachable(): Promise<boolean>;
  stop(): Promise<void>;
}

const live = new Set<Box>();
const destroyAll = () => {
  for (const box of live) box.destroySync();
  live.clear();
};

export async function startStaticHost(): Promise<StaticHost> {
  if (Deno.uid() !== 0) throw new Error("a static host needs root (network namespaces): run as root");
  const runId = crypto.randomUUID().replaceAll("-", "").slice(0, 4);
  const root = await Deno.makeTempDir({ prefix: `cbx-static-${runId}-` });
  const keyFile = `${root}/id_ed25519`;
  const keygen = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", "ed25519", "-N", "", "-C", "static-test", "-f", keyFile],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!keygen.success) throw new Error(`ssh-keygen: ${new TextDecoder().decode(keygen.stderr)}`);
  const index = await claimIndex(() => false);
  if (index === null) throw new Error("no free harness address");
  const box = new Box(runId, index, root, "static-host");
  live.add(box);
  globalThis.addEventListener("unload", destroyAll);
  await box.create(null, [(await Deno.readTextFile(`${keyFile}.pub`)).trim()]);
  box.powerOn();
  const reachable = async () => {
    try {
      const conn = await Deno.connect({ hostname: box.ip, port: 22 });
      conn.close();
      return true;
    } catch {
      return false;
    }
  };
  // sshd starts in milliseconds; poll its port (bounded) rather than guess a delay.
  const deadline = Date.now() + 15_000;
  while (!(await reachable())) {
    if (Date.now() > deadline) throw new Error(`sshd on ${box.ip} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const hostKey = (await Deno.readTextFile(`${box.dir}/etc/ssh_host_ed25519_key.pub`)).trim().split(/\s+/)
    .slice(0, 2).join(" ");
  return {
    ip: box.ip,
    port: 22,
    user: "root",
    keyFile,
    hostKey,
    workDir: `${box.dir}/work`,
    reachable,
    async stop() {
      live.delete(box);
      await box.destroy();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

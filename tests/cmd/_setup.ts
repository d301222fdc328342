/** Setup shared by the command tests: lease labels as crabbox writes them, and a CLI without ssh multiplexing. */
import { fakeCli, type Harnessed } from "./_fakes.ts";

/** 2026-05-01T12:00:00Z, the fake clock's start. */
export const T0 = 1777636800;

/** The labels of a ready lease owned by alice_laptop, created at T0 (30m idle, 90m ttl); `extra` wins. */
export function leaseLabels(lease: string, slug: string, extra: Record<string, string> = {}) {
  return {
    crabbox: "true",
    created_by: "crabbox",
    provider: "hetzner",
    lease,
    slug,
    keep: "false",
    state: "ready",
    owner: "alice_laptop",
    created_at: String(T0),
    last_touched_at: String(T0),
    idle_timeout_secs: "1800",
    ttl_secs: "5400",
    expires_at: String(T0 + 1800),
    ...extra,
  };
}

/**
 * fakeCli whose user config turns ssh multiplexing off (an in-process run must not create a control-socket
 * dir under the real /tmp), followed by `config` (more user-config YAML).
 */
export async function quietCli(
  options: Parameters<typeof fakeCli>[0] & { config?: string } = {},
): Promise<Harnessed> {
  const { config = "", ...rest } = options;
  const cli = await fakeCli(rest);
  await Deno.mkdir(`${cli.home}/.config/crabbox`, { recursive: true });
  await Deno.writeTextFile(`${cli.home}/.config/crabbox/config.yaml`, `ssh:\n  controlPersist: 0\n${config}`);
  return cli;
}

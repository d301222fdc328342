/** The lease-create flags shared by run, warmup and job run (SPEC §2.4). */
import { Command } from "@commander-js/extra-typings";

export interface LeaseCreateFlags {
  class?: string;
  type?: string;
  location?: string;
  image?: string;
  ttl?: string;
  idleTimeout?: string;
  slug?: string;
  keep?: boolean;
  bootstrapTimeout?: string;
  arch?: string;
  pond?: string;
  allowCidr?: string[];
}

/** Repeatable: each --allow-cidr appends. */
const appendCidr = (value: string, previous: string[] = []) => [...previous, value];

/** --allow-cidr for the commands that create a box (run, warmup, job run). */
export function addAllowCidrOption<T extends Command<unknown[], Record<string, unknown>>>(command: T): T {
  command.option(
    "--allow-cidr <cidr>",
    "admit ssh only from this IPv4 range, e.g. 203.0.113.0/24 (repeatable; replaces ssh.allowCidrs)",
    appendCidr,
  );
  return command;
}

export function addLeaseCreateOptions<T extends Command<unknown[], Record<string, unknown>>>(command: T): T {
  command
    .option(
      "--class <class>",
      "machine class: tiny, small, standard, fast, large, beast (default from config: beast)",
    )
    .option("--type <type>", "exact Hetzner server type, no class fallback (e.g. cpx32)")
    .option("--location <location>", "exact Hetzner location, no fallback (e.g. fsn1)")
    .option("--image <image>", "Hetzner image name (default ubuntu-24.04)")
    .option("--ttl <duration>", "hard cap from creation, 1m–168h (default 90m)")
    .option("--idle-timeout <duration>", "idle expiry, 1m–ttl (default 30m)")
    .option("--slug <slug>", "friendly name for a new lease (normalized, ≤ 41 chars)")
    .option("--keep", "keep the box after the run; exempt from idle expiry, not from the ttl")
    .option("--bootstrap-timeout <duration>", "SSH readiness deadline (default 20m)")
    .option("--arch <arch>", "amd64 (default) or arm64: classes map to Hetzner's Ampere CAX types")
    .option(
      "--pond <name>",
      "lease the box into a pond: a private network with its peers, reachable as <slug>.cbx (docs/ponds.md)",
    );
  return addAllowCidrOption(command);
}

/** Names of lease-create flags that were given (for "not with --id" validation). */
export function givenLeaseCreateFlags(flags: LeaseCreateFlags): string[] {
  const names: [keyof LeaseCreateFlags, string][] = [
    ["class", "--class"],
    ["type", "--type"],
    ["location", "--location"],
    ["image", "--image"],
    ["ttl", "--ttl"],
    ["idleTimeout", "--idle-timeout"],
    ["slug", "--slug"],
    ["keep", "--keep"],
    ["bootstrapTimeout", "--bootstrap-timeout"],
    ["arch", "--arch"],
    ["pond", "--pond"],
    ["allowCidr", "--allow-cidr"],
  ];
  return names.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag);
}

/**
 * `provider: ssh` wiring (the composition root's part): static.* and ssh.key → the static hosts' port on
 * the context, and the box access every lease on them shares. Config mistakes (no host, no key) surface
 * when the port is first needed, exit 2, before any connection; offline commands (`config show`, `job
 * list`) never meet them.
 */
import type { CommandContext } from "./context.ts";
import type { LoadedConfig } from "../config/load.ts";
import { isStaticProvider } from "../config/compat.ts";
import { configError } from "../core/errors.ts";
import type { StatusSettings } from "../lease/status.ts";
import { sshConfigFileFor } from "../lease/shape.ts";
import { configDir } from "../lease/store.ts";
import { staticHosts } from "../providers/static/hosts.ts";
import { createStaticApi } from "../providers/static/api.ts";
import { STATIC_READY_COMMAND } from "../providers/static/ssh.ts";
import { staticAccessOf, staticKeyFile, staticPinFile, userKnownHosts } from "../providers/static/config.ts";

/** The global flags only provider ssh reads, by config key. */
const STATIC_FLAGS: Record<string, string> = {
  "static.host": "--static-host",
  "static.user": "--static-user",
  "static.port": "--static-port",
  "static.workRoot": "--static-work-root",
  "ssh.key": "--ssh-key",
};

/** The one warning for provider ssh flags given under provider hetzner (which would ignore them), or null. */
export function ignoredStaticFlags(given: Record<string, unknown> | undefined): string | null {
  const names = givenStaticFlags(given);
  if (names.length === 0) return null;
  return `${names.join(", ")} ${
    verb(names)
  } ignored under provider hetzner: set provider: ssh in the config or pass --provider ssh`;
}

/** Warns once per invocation when the provider that the config settled on ignores the provider ssh flags. */
export function weighStaticFlags(ctx: CommandContext, provider: string): void {
  if (ctx.staticFlagsWeighed) return;
  ctx.staticFlagsWeighed = true;
  const ignored = isStaticProvider(provider) ? null : ignoredStaticFlags(ctx.globals.static);
  if (ignored) ctx.out.warn(ignored);
}

/** For a command that read no config (version, completions, init, help): the flags are ignored whatever it says. */
export function weighUnreadStaticFlags(ctx: CommandContext, command: string): void {
  if (ctx.staticFlagsWeighed) return;
  ctx.staticFlagsWeighed = true;
  const names = givenStaticFlags(ctx.globals.static);
  if (names.length) {
    ctx.out.warn(`${names.join(", ")} ${verb(names)} ignored: crabbox ${command} reads no provider settings`);
  }
}

function givenStaticFlags(given: Record<string, unknown> | undefined): string[] {
  return Object.entries(STATIC_FLAGS).filter(([key]) => given?.[key] !== undefined).map(([, f]) => f);
}

const verb = (names: string[]) => (names.length === 1 ? "is" : "are");

/** The box access of static hosts, with the port registered on ctx; null for Hetzner. */
export async function useStaticProvider(
  ctx: CommandContext,
  loaded: LoadedConfig,
): Promise<StatusSettings | null> {
  const c = loaded.config;
  weighStaticFlags(ctx, c.provider);
  if (!isStaticProvider(c.provider)) return null;
  const access = staticAccessOf(c);
  const home = ctx.deps.system.homeDir();
  const keyFile = staticKeyFile(c, home);
  // The user's ssh config (ProxyJump, Host aliases) serves a desk box as it serves a Hetzner one.
  const sshConfigFile = await sshConfigFileFor(ctx.deps, c.ssh.configFile);
  ctx.useProvider("ssh", () =>
    createStaticApi(ctx.deps, {
      hosts: staticHosts({ host: c.static.host, hosts: c.static.hosts, ...access, sources: loaded.sources }),
      keyFile,
      keyMissing: () =>
        configError(
          `ssh.key: ${keyFile} does not exist (${loaded.sources["ssh.key"] ?? "default"})`,
          "set ssh.key (or pass --ssh-key) to the private key the static host trusts",
        ),
      pinFile: staticPinFile(configDir(ctx.deps)),
      configFile: sshConfigFile,
      connectTimeoutSecs: c.ssh.connectTimeout,
      userKnownHosts: userKnownHosts(home),
      acceptHostKey: ctx.globals.acceptHostKey === true,
      notify: (message) => ctx.out.progress(message),
      debug: (message) => ctx.out.debug(message),
    }));
  return {
    sshUser: access.user,
    sshPorts: [access.port],
    workRoot: access.workRoot,
    connectTimeoutSecs: c.ssh.connectTimeout,
    sshConfigFile,
    readyCommand: STATIC_READY_COMMAND,
  };
}

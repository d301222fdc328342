/**
 * `provider: ssh` wiring (the composition root's part): static.* and ssh.key → the static hosts' port on
 * the context, and the box access every lease on them shares. Config mistakes (no host, no key) surface
 * when the port is first needed, exit 2, before any connection; offline commands (`config show`, `job
 * list`) never meet them.
 */
import { join } from "node:path";
import type { CommandContext } from "./context.ts";
import type { LoadedConfig } from "../config/load.ts";
import { isStaticProvider } from "../config/compat.ts";
import { configError } from "../core/errors.ts";
import type { StatusSettings } from "../lease/status.ts";
import { configDir } from "../lease/store.ts";
import { staticHosts } from "../providers/static/hosts.ts";
import { createStaticApi } from "../providers/static/api.ts";
import { STATIC_READY_COMMAND } from "../providers/static/ssh.ts";

/** The box access of static hosts, with the port registered on ctx; null for Hetzner. */
export function useStaticProvider(ctx: CommandContext, loaded: LoadedConfig): StatusSettings | null {
  const c = loaded.config;
  if (!isStaticProvider(c.provider)) return null;
  const access = {
    user: c.static.user || c.ssh.user,
    port: c.static.port,
    workRoot: c.static.workRoot || c.workRoot,
  };
  const home = ctx.deps.system.homeDir();
  const keyFile = expandHome(c.ssh.key || "~/.ssh/id_ed25519", home);
  ctx.useProvider("ssh", () =>
    createStaticApi(ctx.deps, {
      hosts: staticHosts({ host: c.static.host, hosts: c.static.hosts, ...access, sources: loaded.sources }),
      keyFile,
      keyMissing: () =>
        configError(
          `ssh.key: ${keyFile} does not exist (${loaded.sources["ssh.key"] ?? "default"})`,
          "set ssh.key (or pass --ssh-key) to the private key the static host trusts",
        ),
      pinFile: join(configDir(ctx.deps), "static", "known_hosts"),
      configFile: "none",
      connectTimeoutSecs: c.ssh.connectTimeout,
      userKnownHosts: [join(home, ".ssh", "known_hosts")],
      acceptHostKey: ctx.globals.acceptHostKey === true,
      notify: (message) => ctx.out.progress(message),
      debug: (message) => ctx.out.debug(message),
    }));
  return {
    sshUser: access.user,
    sshPorts: [access.port],
    workRoot: access.workRoot,
    connectTimeoutSecs: c.ssh.connectTimeout,
    sshConfigFile: "none",
    readyCommand: STATIC_READY_COMMAND,
  };
}

function expandHome(path: string, home: string): string {
  return path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path;
}

/** The root's global flags (every command's help lists them) and the hook that hands them to the context. */
import type { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { usageError } from "../core/errors.ts";
import { isStaticProvider } from "../config/compat.ts";
import { weighUnreadStaticFlags } from "./static_provider.ts";

export function addGlobalOptions(program: Command, ctx: CommandContext): void {
  program
    .option("--json", "print one JSON document on stdout (commands that support it)")
    .option("--quiet", "no progress lines; warnings and errors still print")
    .option(
      "--debug",
      "each Hetzner call (status, duration, correlation id, redacted bodies) and the ssh/rsync argv on stderr; or CRABBOX_DEBUG=1",
    )
    .option(
      "--no-color",
      "never colour output (as NO_COLOR=1 does; FORCE_COLOR=1 colours even a pipe, FORCE_COLOR=0 never)",
    )
    .option("--no-sweep", "skip the automatic sweep of expired boxes")
    .option("--profile <name>", "config profile to apply")
    .option(
      "--provider <name>",
      "hetzner (default), or ssh: your own hosts (static.*); --provider hetzner overrides a Go config file's provider:",
    )
    .option("--static-host <host>", "provider ssh: the host to lease (static.host)")
    .option("--static-user <user>", "provider ssh: login user on the host (static.user)")
    .option("--static-port <port>", "provider ssh: ssh port of the host (static.port)")
    .option("--static-work-root <path>", "provider ssh: crabbox's directory on the host (static.workRoot)")
    .option("--ssh-key <path>", "provider ssh: the private key the host trusts (ssh.key)")
    .option(
      "--accept-host-key",
      "provider ssh: pin an unknown host key from ssh-keyscan (never done silently; check the fingerprint)",
    );

  program.hook("preAction", (_root, action) => {
    const globals = action.optsWithGlobals() as Record<string, unknown>;
    ctx.setGlobals({
      json: globals.json as boolean | undefined,
      quiet: globals.quiet as boolean | undefined,
      debug: globals.debug as boolean | undefined,
      color: globals.color as boolean | undefined,
      sweep: globals.sweep as boolean | undefined,
      profile: globals.profile as string | undefined,
      provider: globals.provider as string | undefined,
      static: {
        "static.host": globals.staticHost,
        "static.user": globals.staticUser,
        "static.port": globals.staticPort,
        "static.workRoot": globals.staticWorkRoot,
        "ssh.key": globals.sshKey,
      },
      acceptHostKey: globals.acceptHostKey === true,
    });
    const provider = (globals.provider as string | undefined) ?? ctx.deps.env.get("CRABBOX_PROVIDER");
    if (provider !== undefined && provider !== "hetzner" && !isStaticProvider(provider)) {
      throw usageError(
        `unknown provider "${provider}"`,
        "use hetzner (Hetzner Cloud) or ssh (your own hosts), or drop --provider",
      );
    }
  });
  // A command that never read the config (version, init, …) still says the flags did nothing.
  program.hook(
    "postAction",
    (_root, action) => weighUnreadStaticFlags(ctx, commandPath(action as unknown as Command)),
  );
}

/** `config path` for a nested command: the names below the root. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent as Command | null) names.unshift(c.name());
  return names.join(" ");
}

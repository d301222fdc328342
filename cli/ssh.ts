/** `crabbox ssh <id> [--print] [--workdir <dir>]`: an interactive shell on a lease, in the repo's workdir. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { CrabboxError, usageError } from "../core/errors.ts";
import { shellJoin, shellQuote } from "../core/format.ts";
import { checkLeaseRef, resolveLease } from "../lease/resolve.ts";
import { openExistingBox } from "../lease/pool.ts";
import { rememberServer, touchServer } from "../lease/labels_write.ts";
import { remoteWorkdir } from "../lease/sync_step.ts";
import { loadRunSettings, startSweep } from "./settings.ts";
import { refuseUnderJobsOnly } from "../jobs/spec.ts";
import { sshBlockedError } from "../lease/firewall.ts";

export function sshCommand(ctx: CommandContext) {
  return new Command("ssh")
    .description("open a shell on a lease's box (in the repo's workdir when it exists)")
    .argument("[id]", "lease id (cbx_…), slug, server id or server name")
    .option("--print", "print the ssh command line instead of running it")
    .option("--workdir <dir>", "directory on the box, relative to the repo's workdir")
    .allowExcessArguments()
    .action(async (id, flags, self) => {
      const command = self.args.slice(1);
      if (!id) throw usageError("no lease given", "usage: crabbox ssh <lease-id|slug|server-id|name>");
      // A command here would run beside the box lock; run takes it, and --no-sync leaves the tree alone.
      if (command.length) {
        throw usageError(
          "crabbox ssh opens a shell and runs no command",
          `to run one on the box: crabbox run --id ${shellQuote(id)} --no-sync -- ${shellJoin(command)}`,
        );
      }
      checkLeaseRef(id);
      const settings = await loadRunSettings(ctx, {});
      refuseUnderJobsOnly(settings.config);
      await startSweep(ctx, settings, [id]);
      const api = ctx.hetzner(settings.endpoint);
      const resolution = await resolveLease(ctx.deps, api, id, ctx.interrupt.signal);
      if (resolution.kind === "gone") {
        throw new CrabboxError("not_found", `lease ${resolution.leaseId} no longer exists`);
      }
      const server = resolution.server;
      const leaseId = server.labels.lease;
      const { box } = await openExistingBox(ctx.deps, ctx.out, server, settings.shape);
      await box.prepare();
      const dir = remoteWorkdir(settings.shape.workRoot, leaseId, settings.repo) +
        (flags.workdir ? `/${flags.workdir}` : "");
      const remote = `cd ${shellQuote(dir)} 2>/dev/null || cd ${
        shellQuote(settings.shape.workRoot)
      }; exec bash -l`;
      const argv = ["-t", ...box.sshArgs(), remote];
      if (flags.print) return ctx.out.result(shellJoin(["ssh", ...argv]));
      await rememberServer(ctx.deps, api, await touchServer(api, server.id, {}, ctx.interrupt.signal));
      const code = await ctx.deps.proc.interactive("ssh", argv);
      // ssh's own failure (255) on a firewalled box that takes no connection: say which ranges it admits.
      const blocked = code === 255
        ? await sshBlockedError(ctx.deps.net, api, {
          leaseId,
          host: box.host,
          port: box.port,
          ports: box.ports,
          firewallIds: server.firewallIds,
        }, { signal: ctx.interrupt.signal })
        : null;
      if (blocked) throw blocked;
      ctx.exitCode = code;
    });
}

/** `crabbox pond list|peers|release`: boxes leased with --pond, their private network (docs/ponds.md). */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { leaseContext } from "./run_inputs.ts";
import { notFoundError, usageError } from "../core/errors.ts";
import { requestedPond } from "../labels/pond.ts";
import { listPonds, pondPeers, releasePond } from "../lease/pond.ts";
import { loadBaseSettings, startSweep } from "./settings.ts";

/** The NAME argument, normalized as --pond is (exit 2 when nothing is left of it). */
function pondArg(name: string): string {
  const pond = requestedPond(name, "pond name");
  if (!pond) {
    throw usageError("pond name must contain at least one letter or digit", "e.g. crabbox pond peers pr-42");
  }
  return pond;
}

export function pondCommand(ctx: CommandContext) {
  const pond = new Command("pond").description(
    "ponds: boxes leased with --pond NAME that reach each other as <slug>.cbx over a private network",
  );
  const context = async () => {
    const settings = await loadBaseSettings(ctx);
    return {
      settings,
      use: leaseContext(ctx, settings),
    };
  };

  pond.addCommand(
    new Command("list")
      .description("every pond: its network and members (read-only)")
      .action(async () => {
        const { settings, use } = await context();
        await startSweep(ctx, settings);
        const ponds = await listPonds(use);
        if (ctx.globals.json) return ctx.out.json({ ponds });
        if (ponds.length === 0) return ctx.out.notice("no ponds");
        for (const p of ponds) {
          const network = p.network ? `network=${p.network.id} ${p.network.ipRange}` : "network=none";
          const slugs = p.slugs.length ? ` (${p.slugs.join(", ")})` : "";
          ctx.out.result(`pond=${p.pond} members=${p.members}${slugs} ${network}`);
        }
      }),
  );

  pond.addCommand(
    new Command("peers")
      .description("a pond's members: private and public IPs, and the <slug>.cbx name peers dial")
      .argument("<name>", "pond name (normalized as for --pond)")
      .action(async (name) => {
        const normalized = pondArg(name);
        const { settings, use } = await context();
        await startSweep(ctx, settings);
        const peers = await pondPeers(use, normalized);
        if (!peers) throw notFoundError(`pond ${normalized} not found`, "crabbox pond list shows the ponds");
        if (ctx.globals.json) return ctx.out.json(peers);
        const network = peers.network
          ? `network=${peers.network.id} ${peers.network.ipRange}`
          : "network=none";
        ctx.out.result(`pond=${peers.pond} ${network}`);
        for (const m of peers.members) {
          ctx.out.result(
            `${m.slug ?? "-"} lease=${m.leaseId ?? "-"} server=${m.serverId} state=${
              m.state ?? "-"
            } private=${m.privateIp ?? "pending"} public=${m.publicIp ?? "-"} endpoint=${m.endpoint ?? "-"}`,
          );
        }
      }),
  );

  pond.addCommand(
    new Command("release")
      .description("stop every member of a pond and delete its network (exit 0 when already gone)")
      .argument("<name>", "pond name (normalized as for --pond)")
      .option("--dry-run", "say what would be released and deleted")
      .action(async (name, flags) => {
        const normalized = pondArg(name);
        const { settings, use } = await context();
        await startSweep(ctx, settings);
        const report = await releasePond(use, normalized, { dryRun: !!flags.dryRun });
        const failed = [...report.members, ...report.networks].filter((i) => i.result === "failed");
        if (ctx.globals.json) ctx.out.json(report);
        else {
          for (const m of report.members) {
            ctx.out.result(
              `${m.result} ${m.leaseId ?? "-"} slug=${m.slug ?? "-"} server=${m.serverId}${
                m.error ? ` (${m.error})` : ""
              }`,
            );
          }
          for (const n of report.networks) {
            ctx.out.result(`${n.result} network=${n.id} ${n.ipRange}${n.error ? ` (${n.error})` : ""}`);
          }
          if (report.members.length === 0 && report.networks.length === 0) {
            ctx.out.result(`pond ${normalized}: nothing to release`);
          }
        }
        if (failed.length > 0) ctx.exitCode = 8;
      }),
  );
  return pond;
}

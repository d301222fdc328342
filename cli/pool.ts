/** `crabbox pool [list|drain]`: show a warm pool, or release its idle boxes. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { sanitizeLabelValue } from "../labels/sanitize.ts";
import { formatIso } from "../core/format.ts";
import { leaseView, pricingNow } from "../lease/inspect.ts";
import { boxFor, poolServers } from "../lease/pool.ts";
import { tryLock } from "../lease/box_lock.ts";
import { releaseServer } from "../lease/release.ts";
import { hasLocalKey, readLeaseRecord } from "../lease/store.ts";
import { loadBaseSettings, loadRunSettings, startSweep } from "./settings.ts";
import { renderLeaseTable } from "./render_leases.ts";
import { stateTone } from "../core/terminal_style.ts";

function poolOf(flag: string | undefined, fallback: unknown): string {
  return sanitizeLabelValue(flag ?? (fallback as string) ?? "default");
}

export function poolCommand(ctx: CommandContext) {
  const pool = new Command("pool").description("warm pools: list their boxes, or drain the idle ones");
  const list = new Command("list")
    .description("boxes of a pool, with a BUSY column (read-only)")
    .option("--pool <name>", "pool name (default: config pool.name, else default)")
    .action(async (flags) => {
      const settings = await loadBaseSettings(ctx);
      await startSweep(ctx, settings);
      const api = ctx.hetzner(settings.endpoint);
      const name = poolOf(flags.pool, settings.config.config.pool.name);
      const servers = await poolServers(api, name, ctx.interrupt.signal);
      const pricing = await pricingNow(api, ctx.prices(settings.endpoint));
      const leases = await Promise.all(servers.map((s) => leaseView(ctx.deps, s, pricing)));
      if (ctx.globals.json) return ctx.out.json(leases);
      if (leases.length === 0) return ctx.out.notice(`no boxes in pool ${name}`);
      const rows = renderLeaseTable(leases.map((lease) => ({ lease, foreign: false })), api.now(), {
        extra: {
          header: "BUSY",
          cell: (
            { lease },
          ) => (["leased", "running"].includes(lease.state ?? "") ? `yes (${lease.run ?? "?"})` : "no"),
        },
        paintState: (state) => ctx.out.paint("stdout", stateTone(state), state),
      });
      for (const row of rows) ctx.out.result(row);
    });
  const drain = new Command("drain")
    .description("release every box of the pool whose lock can be taken now; busy boxes are skipped")
    .option("--pool <name>", "pool name (default: config pool.name, else default)")
    .option("--dry-run", "say what would be released")
    .action(async (flags) => {
      const settings = await loadRunSettings(ctx, {});
      await startSweep(ctx, settings);
      const api = ctx.hetzner(settings.endpoint);
      const name = poolOf(flags.pool, settings.config.config.pool.name);
      const released: string[] = [];
      const skipped: { id: string; reason: string }[] = [];
      for (const server of await poolServers(api, name, ctx.interrupt.signal)) {
        const id = server.labels.lease;
        if (server.ipv4 && (await hasLocalKey(ctx.deps, id))) {
          const record = await readLeaseRecord(ctx.deps, id);
          const box = boxFor(ctx.deps, ctx.out, server, settings.shape, record?.sshPort ?? null);
          await box.prepare();
          const attempt = await tryLock(box, {
            runId: "drain",
            owner: settings.owner,
            host: ctx.deps.system.hostname(),
            pid: ctx.deps.system.pid(),
            since: formatIso(api.now()),
          }).catch(() => null);
          if (attempt?.kind === "busy") {
            skipped.push({ id, reason: `busy run=${attempt.holder?.runId ?? "?"}` });
            continue;
          }
          await attempt?.lock.release();
          await box.closeMaster();
        } else if (["leased", "running"].includes(server.labels.state ?? "")) {
          skipped.push({ id, reason: `busy run=${server.labels.run ?? "?"}` });
          continue;
        }
        if (!flags.dryRun) await releaseServer(ctx.deps, api, server, ctx.interrupt.signal);
        released.push(id);
      }
      if (ctx.globals.json) return ctx.out.json({ pool: name, released, skipped });
      for (const id of released) ctx.out.result(`${flags.dryRun ? "would release" : "released"} ${id}`);
      for (const s of skipped) ctx.out.result(`skipped ${s.id} ${s.reason}`);
    });
  pool.addCommand(list, { isDefault: true });
  pool.addCommand(drain);
  return pool;
}

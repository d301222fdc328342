/** `crabbox heartbeat <id>`: touch a lease (durably changing idle timeout or keep if asked). */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { CrabboxError, usageError } from "../core/errors.ts";
import { formatDuration, parseDurationFlag } from "../core/duration.ts";
import { formatIso } from "../core/format.ts";
import { decodeLeaseLabels } from "../labels/codec.ts";
import { checkLeaseRef, resolveLease } from "../lease/resolve.ts";
import { rememberServer, touchServer } from "../lease/labels_write.ts";
import { loadBaseSettings, startSweep } from "./settings.ts";

export function heartbeatCommand(ctx: CommandContext) {
  return new Command("heartbeat")
    .description("touch a lease so it does not idle-expire; optionally change its idle timeout or keep flag")
    .argument("[id]", "lease id (cbx_…), slug, server id or server name")
    .option("--idle-timeout <duration>", "durably set a new idle timeout (1m–ttl)")
    .option("--keep", "exempt the box from idle expiry (never from its ttl)")
    .option("--no-keep", "let the box idle-expire again")
    .option("--every <duration>", "repeat until interrupted")
    .action(async (idArg, flags) => {
      if (!idArg) {
        throw usageError("no lease given", "usage: crabbox heartbeat <lease-id|slug|server-id|name>");
      }
      checkLeaseRef(idArg);
      const idleSecs = parseDurationFlag("--idle-timeout", flags.idleTimeout, 60);
      const everySecs = parseDurationFlag("--every", flags.every);
      const settings = await loadBaseSettings(ctx);
      await startSweep(ctx, settings, [idArg]);
      const api = ctx.hetzner(settings.endpoint);
      const resolution = await resolveLease(ctx.deps, api, idArg, ctx.interrupt.signal);
      if (resolution.kind === "gone") {
        throw new CrabboxError("not_found", `lease ${resolution.leaseId} no longer exists`, {
          hint: "start a new lease",
        });
      }
      const target = resolution.server;
      for (;;) {
        const state = target.labels.state ?? "";
        if (["released", "failed", "expired"].includes(state)) {
          throw new CrabboxError("not_found", `lease ${target.labels.lease} is ${state}`, {
            hint: "start a new lease",
          });
        }
        const server = await touchServer(
          api,
          target.id,
          { keep: flags.keep, idleSecs },
          ctx.interrupt.signal,
        );
        await rememberServer(ctx.deps, api, server);
        const labels = decodeLeaseLabels(server.labels);
        if (labels.idleSecs !== null && labels.ttlSecs !== null && labels.idleSecs > labels.ttlSecs) {
          throw usageError(`--idle-timeout is longer than the lease's ttl ${formatDuration(labels.ttlSecs)}`);
        }
        const view = {
          id: server.labels.lease,
          state: server.labels.state ?? null,
          keep: labels.keep,
          lastTouchedAt: labels.lastTouchedAtSecs === null
            ? null
            : formatIso(labels.lastTouchedAtSecs * 1000),
          idleTimeoutSecs: labels.idleSecs,
          expiresAt: labels.expiresAtSecs === null ? null : formatIso(labels.expiresAtSecs * 1000),
          ttlDeadline: labels.ttlSecs === null ? null : formatIso(server.createdMs + labels.ttlSecs * 1000),
        };
        if (ctx.globals.json) ctx.out.json(view);
        else {
          ctx.out.result(
            `heartbeat ${view.id} state=${view.state} keep=${view.keep} idle_timeout=${
              view.idleTimeoutSecs === null ? "unknown" : formatDuration(view.idleTimeoutSecs)
            } last_touched=${view.lastTouchedAt} expires=${view.expiresAt} ttl_deadline=${view.ttlDeadline}`,
          );
        }
        if (everySecs === undefined) return;
        await ctx.deps.clock.sleep(everySecs * 1000, ctx.interrupt.signal);
      }
    });
}

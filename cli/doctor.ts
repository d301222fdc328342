/** `crabbox doctor [--id <id>] [--offline] [--json]` (SPEC §13): one line per check; exit 1 on a failure. */
import { Command } from "@commander-js/extra-typings";
import type { CommandContext } from "./context.ts";
import { checkLeaseRef } from "../lease/resolve.ts";
import { runDoctor } from "../lease/doctor.ts";
import { renderLine } from "../lease/doctor_checks.ts";
import { checkTone } from "../core/terminal_style.ts";
import { weighStaticFlags } from "./static_provider.ts";

export function doctorCommand(ctx: CommandContext) {
  return new Command("doctor")
    .description(
      "check tools, config, file modes, the token and the API (and a box with --id); under provider ssh each static host instead; changes nothing",
    )
    .option("--id <id>", "also probe this lease's box over SSH (user, work root, disk, git)")
    .option("--offline", "no API call and no SSH: local checks only")
    .addHelpText(
      "after",
      `
Statuses: ok, warn, fail, skip; exit 1 when any check fails (the JSON is printed all the same).
Every warning and failure ends with the fix. doctor runs no sweep and writes nothing; its one POST
is a create with an invalid body, which Hetzner refuses (422 for a read/write token, 401 for a
read-only one).
Under provider ssh there is no token or API: static-config (hosts, ssh.key and its mode), then per host
static-host (ssh with the pinned or known host key), static-tools (bash, flock, rsync, git),
static-root (the work root writable) and static-lease (free, or leased by whom, and whether expired).`,
    )
    .action(async (flags) => {
      if (flags.id !== undefined) checkLeaseRef(flags.id);
      const report = await runDoctor(ctx.deps, {
        id: flags.id,
        offline: !!flags.offline,
        profile: ctx.globals.profile,
        flags: { provider: ctx.globals.provider, ...ctx.globals.static },
        onProvider: (provider) => weighStaticFlags(ctx, provider),
        signal: ctx.interrupt.signal,
        notify: (message) => ctx.out.progress(message),
        debug: (message) => ctx.out.debug(message),
      });
      if (!report.ok) ctx.exitCode = 1;
      if (ctx.globals.json) return ctx.out.json(report);
      const paintStatus = (status: string) => ctx.out.paint("stdout", checkTone(status), status);
      for (const check of report.checks) ctx.out.result(renderLine(check, paintStatus));
    });
}

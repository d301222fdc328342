/** Warmup (SPEC §2.6): acquire, then state=ready plus a touch. The box idle-expires unless --keep. */
import type { LeaseObject } from "../labels/lease_view.ts";
import { type AcquireContext, acquireLease, type LeaseShape } from "./acquire.ts";
import { rememberServer, touchServer } from "./labels_write.ts";
import { leaseView, pricingNow } from "./inspect.ts";
import { rollback } from "./rollback.ts";
import { prepareControlSocketDir } from "./box.ts";
import { type LeaseResources, leftoversNote } from "./leftovers.ts";

/** With `wait: false` (warmup --no-wait) the box is left `provisioning` once it has an IPv4 (SPEC §2.6). */
export async function warmupLease(
  ctx: AcquireContext & { setSecondInterruptNote: (note: (() => void) | null) => void },
  shape: LeaseShape,
  options: { wait?: boolean } = {},
): Promise<LeaseObject> {
  if (shape.controlPersist) await prepareControlSocketDir(ctx.deps);
  let resources: LeaseResources | null = null;
  ctx.setSecondInterruptNote(() => {
    if (resources) ctx.out.notice(leftoversNote(resources));
  });
  try {
    const wait = options.wait !== false;
    const lease = await acquireLease({ ...ctx, onResources: (r) => (resources = r) }, shape, {
      waitForSsh: wait,
    });
    if (!wait) return await leaseView(ctx.deps, lease.server, await pricingNow(ctx.api, ctx.prices));
    try {
      const server = await touchServer(ctx.api, lease.server.id, { state: "ready" }, ctx.signal);
      await rememberServer(ctx.deps, ctx.api, server);
      await lease.box.closeMaster();
      return await leaseView(ctx.deps, server, await pricingNow(ctx.api, ctx.prices));
    } catch (error) {
      await rollback(ctx, {
        leaseId: lease.leaseId,
        serverId: lease.server.id,
        serverName: lease.server.name,
        keyId: lease.sshKeyId,
      });
      throw error;
    }
  } finally {
    ctx.setSecondInterruptNote(null);
  }
}

/** A 3-minute command with a 1-minute idle timeout is never reaped while its heartbeat runs. */
import assert from "node:assert/strict";
import { heartbeatIntervalMs, startHeartbeat } from "../../lease/heartbeat.ts";
import { decideServer } from "../../labels/sweep.ts";
import { encodeCreateLabels, touchLabels } from "../../labels/codec.ts";
import { Output } from "../../core/output.ts";
import { Redactor } from "../../core/redact.ts";
import { CapturedIo, ManualClock, MemoryHetzner } from "../cmd/_fakes.ts";

/** A clock whose sleeps wait until the test advances time past them. */
class SteppedClock extends ManualClock {
  #timers: { at: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  override sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      signal?.throwIfAborted();
      const timer = { at: this.nowMs + ms, resolve, reject };
      this.#timers.push(timer);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  async advance(ms: number): Promise<void> {
    this.nowMs += ms;
    for (const t of this.#timers.filter((t) => t.at <= this.nowMs)) {
      this.#timers.splice(this.#timers.indexOf(t), 1);
      t.resolve();
    }
    // Let the touched labels land (a few promise turns of the fake API).
    for (let i = 0; i < 20; i++) await Promise.resolve();
  }
}

Deno.test("heartbeat interval is idle/3 clamped to 1–5 minutes", () => {
  assert.equal(heartbeatIntervalMs(1800), 300_000);
  assert.equal(heartbeatIntervalMs(240), 80_000);
  assert.equal(heartbeatIntervalMs(60), 60_000);
  assert.equal(heartbeatIntervalMs(86_400), 300_000);
});

Deno.test("a 3-minute run with idle 1m stays unexpired; without heartbeat it would be swept", async () => {
  const clock = new SteppedClock();
  const api = new MemoryHetzner(clock);
  const nowSecs = () => Math.floor(clock.nowMs / 1000);
  const created = encodeCreateLabels({
    leaseId: "cbx_0123456789ab",
    slug: "violet-prawn",
    keep: false,
    className: "tiny",
    serverType: "ccx13",
    profile: "default",
    providerKey: "crabbox-cbx-0123456789ab",
    owner: "alice",
    repo: "r",
    nowSecs: nowSecs(),
    ttlSecs: 3600,
    idleSecs: 60,
    createDeadlineSecs: 1800,
  });
  const server = api.addServer({ labels: touchLabels(created, nowSecs(), { state: "running" }) });
  const out = new Output(new CapturedIo(), new Redactor(), { quiet: false, debug: false, json: false });
  const heartbeat = startHeartbeat({
    api,
    clock,
    out,
    serverId: server.id,
    leaseId: "cbx_0123456789ab",
    idleSecs: 60,
    graceSecs: 0,
  });
  for (let minute = 1; minute <= 3; minute++) {
    await clock.advance(60_000);
    const labels = api.servers.get(server.id)!.labels;
    assert.equal(labels.last_touched_at, String(nowSecs()), `touched at minute ${minute}`);
    assert.equal(
      decideServer({ labels, createdMs: server.createdMs }, clock.nowMs + 30_000, 0).decision,
      "skip",
    );
  }
  await heartbeat.stop();
  await clock.advance(120_000);
  const labels = api.servers.get(server.id)!.labels;
  assert.equal(decideServer({ labels, createdMs: server.createdMs }, clock.nowMs, 0).decision, "delete");
});

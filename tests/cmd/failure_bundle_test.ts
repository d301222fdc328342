/**
 * A run that fails before it has a box (the create is refused) still leaves its failure bundle, in the
 * `acquire` phase, without ssh/stop lines (the rollback deleted everything), and says where it is.
 */
import assert from "node:assert/strict";
import { fakeCli } from "./_fakes.ts";
import { HetznerApiError } from "../../providers/hetzner/errors.ts";

Deno.test("a refused create: exit 8, one progress line naming the bundle, phase acquire, no continue lines", async () => {
  const runtimeDir = await Deno.makeTempDir({ prefix: "cbx-run-" });
  const cli = await fakeCli({ env: { XDG_RUNTIME_DIR: runtimeDir } });
  try {
    cli.hetzner.failures.set(
      "createServer",
      new HetznerApiError({
        method: "POST",
        path: "/servers",
        status: 422,
        code: "invalid_input",
        message: "invalid image",
        details: null,
        correlationId: "c0ffee",
        retryAfterMs: null,
      }),
    );
    const out = await cli.run("run", "--class", "tiny", "--no-sync", "--", "true");
    assert.equal(out.code, 8, out.stderr);
    const named = out.stderr.match(/^crabbox: failure bundle: (\S+)$/m);
    assert.ok(named, out.stderr);
    assert.equal(out.stderr.split("\n").filter((l) => l.includes("failure bundle")).length, 1);
    assert.match(named[1], new RegExp(`^${cli.home}/\\.crabbox-results/failure-run_[0-9a-f]{12}\\.json$`));
    const bundle = JSON.parse(await Deno.readTextFile(named[1]));
    assert.deepEqual(
      [bundle.phase, bundle.exitCode, bundle.exitSource, bundle.lease, bundle.continue],
      ["acquire", 8, "crabbox", null, []],
    );
    assert.match(bundle.error.message, /invalid image/);
    assert.deepEqual(bundle.command, ["true"]);
    assert.equal((await Deno.stat(named[1])).mode! & 0o777, 0o600);
    assert.deepEqual(cli.hetzner.servers.size, 0);
  } finally {
    await cli.cleanup();
    await Deno.remove(runtimeDir, { recursive: true });
  }
});

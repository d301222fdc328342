/**
 * install.sh offline (SPEC §15.3): stand-in archives served on 127.0.0.1, a recording `curl` for the
 * GitHub URLs (never fetched), CRABBOX_REPO instead of a placeholder owner, and the copy the release
 * workflow publishes naming its own repository. Under sh and, when installed, dash.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const INSTALL = `${ROOT}install.sh`;
const ASSET = "crabbox-x86_64-unknown-linux-gnu.tar.gz";
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const SHELLS = ["sh", ...(await which("dash") ? ["dash"] : [])];

async function which(cmd: string): Promise<boolean> {
  return (await new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" }).output())
    .success;
}

async function sh(cmd: string, args: string[], env: Record<string, string>, cwd?: string) {
  const out = await new Deno.Command(cmd, { args, env, cwd, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** A release directory: a stand-in binary in its archive, and SHA256SUMS (optionally wrong). */
async function release(dir: string, tampered: boolean): Promise<void> {
  const stage = `${dir}/stage`;
  await Deno.mkdir(stage, { recursive: true });
  await Deno.writeTextFile(
    `${stage}/crabbox`,
    '#!/bin/sh\necho "1.2.3 (commit abc, deno 2.9.6, x86_64-unknown-linux-gnu)"\n',
  );
  await Deno.chmod(`${stage}/crabbox`, 0o755);
  await sh("tar", ["-C", stage, "-czf", `${dir}/${ASSET}`, "crabbox"], {});
  const sum = (await sh("sha256sum", [ASSET], {}, dir)).stdout;
  await Deno.writeTextFile(
    `${dir}/SHA256SUMS`,
    tampered ? sum.replace(/^./, (c) => (c === "0" ? "1" : "0")) : sum,
  );
}

function serve(dir: string): { url: string; close: () => Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const name = new URL(request.url).pathname.slice(1);
    try {
      return new Response(await Deno.readFile(`${dir}/${name}`));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

const baseEnv = (home: string) => ({
  HOME: home,
  PATH: "/usr/local/bin:/usr/bin:/bin",
  CRABBOX_OS: "Linux",
  CRABBOX_ARCH: "x86_64",
});

for (const shell of SHELLS) {
  Deno.test(`install.sh (${shell}): installs a verified archive; a checksum mismatch installs nothing (exit 3)`, async () => {
    const home = await Deno.makeTempDir({ prefix: "cbx-install-" });
    const good = `${home}/good`, bad = `${home}/bad`;
    await release(good, false);
    await release(bad, true);
    const goodServer = serve(good), badServer = serve(bad);
    try {
      const dest = `${home}/bin`;
      const ok = await sh(shell, [INSTALL], {
        ...baseEnv(home),
        CRABBOX_BASE_URL: goodServer.url,
        CRABBOX_INSTALL_DIR: dest,
      });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(
        ok.stdout,
        new RegExp(
          `^installed crabbox 1\\.2\\.3 \\(commit abc, deno 2\\.9\\.6, x86_64-unknown-linux-gnu\\) to ${dest}$`,
          "m",
        ),
      );
      assert.equal(((await Deno.stat(`${dest}/crabbox`)).mode ?? 0) & 0o777, 0o755);
      const dest2 = `${home}/bin2`;
      const mismatch = await sh(shell, [INSTALL], {
        ...baseEnv(home),
        CRABBOX_BASE_URL: badServer.url,
        CRABBOX_INSTALL_DIR: dest2,
      });
      assert.equal(mismatch.code, 3, mismatch.stderr);
      assert.match(mismatch.stderr, /checksum mismatch .* nothing was installed/);
      await assert.rejects(Deno.stat(`${dest2}/crabbox`));
    } finally {
      await Promise.all([goodServer.close(), badServer.close()]);
      await Deno.remove(home, { recursive: true });
    }
  });
}

Deno.test("install.sh: downloads from CRABBOX_REPO's releases; no repository named is a clear error", async () => {
  const home = await Deno.makeTempDir({ prefix: "cbx-install-" });
  try {
    // A curl that records what it was asked for and fails like a 404 (exit 22): nothing leaves the machine.
    await Deno.mkdir(`${home}/fakebin`);
    await Deno.writeTextFile(
      `${home}/fakebin/curl`,
      `#!/bin/sh\nfor a; do last=$a; done\necho "$last" >> "${home}/urls"\nexit 22\n`,
    );
    await Deno.chmod(`${home}/fakebin/curl`, 0o755);
    const env = { ...baseEnv(home), PATH: `${home}/fakebin:/usr/bin:/bin` };
    const urls = async () =>
      (await Deno.readTextFile(`${home}/urls`).catch(() => "")).trim().split("\n").filter(Boolean);

    const none = await sh("sh", [INSTALL], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /set CRABBOX_REPO=owner\/name/);
    assert.deepEqual(await urls(), [], "nothing is fetched without a repository");

    const latest = await sh("sh", [INSTALL], { ...env, CRABBOX_REPO: "acme/crabbox" });
    assert.equal(latest.code, 1);
    assert.match(
      latest.stderr,
      /download failed from https:\/\/github\.com\/acme\/crabbox\/releases\/latest\/download/,
    );
    assert.equal((await urls())[0], `https://github.com/acme/crabbox/releases/latest/download/${ASSET}`);

    await Deno.remove(`${home}/urls`);
    await sh("sh", [INSTALL], { ...env, CRABBOX_REPO: "acme/crabbox", CRABBOX_VERSION: "v1.2.3" });
    assert.equal((await urls())[0], `https://github.com/acme/crabbox/releases/download/v1.2.3/${ASSET}`);

    // The copy the release publishes: release.yml's own sed, with GITHUB_REPOSITORY set.
    const workflow = await Deno.readTextFile(`${ROOT}.github/workflows/release.yml`);
    const stamp = workflow.match(/run: (sed -i .*install\.sh) &&/)?.[1];
    assert.ok(stamp, "release.yml stamps the repository into install.sh");
    await Deno.copyFile(INSTALL, `${home}/install.sh`);
    const stamped = await sh("bash", ["-c", stamp], { ...env, GITHUB_REPOSITORY: "acme/crabbox" }, home);
    assert.equal(stamped.code, 0, stamped.stderr);
    await Deno.remove(`${home}/urls`);
    await sh("sh", [`${home}/install.sh`], env);
    assert.equal((await urls())[0], `https://github.com/acme/crabbox/releases/latest/download/${ASSET}`);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("no placeholder owner in the installer or the README", async () => {
  for (const file of ["install.sh", "README.md"]) {
    assert.doesNotMatch(await Deno.readTextFile(`${ROOT}${file}`), /OWNER/, file);
  }
});

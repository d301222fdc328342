/**
 * rsync argv (SPEC §10.5 step 2): golden, and a real transfer through `-e` where a stand-in ssh logs
 * the argv rsync gave it and runs the remote side locally.
 */
import assert from "node:assert/strict";
import { rsyncArgs } from "../../sync/rsync.ts";
import { sshBaseArgs } from "../../ssh/args.ts";
import { shellJoin } from "../../core/format.ts";

Deno.test("rsync argv, golden", () => {
  assert.deepEqual(
    rsyncArgs({
      sshCommand: "ssh -F none",
      destination: "crabbox@203.0.113.7:/w/cbx_1/repo/",
      checksum: true,
      debug: true,
    }),
    [
      "-a",
      "--compress",
      "--compress-level=1",
      "--files-from=-",
      "--from0",
      "--timeout=60",
      "--mkpath",
      "-e",
      "ssh -F none",
      "--checksum",
      "--itemize-changes",
      "--stats",
      "./",
      "crabbox@203.0.113.7:/w/cbx_1/repo/",
    ],
  );
  const plain = rsyncArgs({ sshCommand: "ssh", destination: "u@h:/d/", checksum: false, debug: false });
  assert.equal(plain.includes("--checksum") || plain.includes("--stats"), false);
  assert.equal(plain.includes("--ignore-times"), false);
  const changed = rsyncArgs({
    sshCommand: "ssh",
    destination: "u@h:/d/",
    checksum: false,
    ignoreTimes: true,
    debug: false,
  });
  assert.deepEqual(changed.slice(-3), ["--ignore-times", "./", "u@h:/d/"]);
});

Deno.test("rsync sends exactly the NUL manifest through the pinned ssh argv", async () => {
  const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "crabbox rsync " })); // a space on purpose
  const src = `${tmp}/src`;
  await Deno.mkdir(`${src}/dir`, { recursive: true });
  const files = ["a.txt", "dir/b c.txt", "dir/line\nbreak.txt"];
  for (const file of files) await Deno.writeTextFile(`${src}/${file}`, file);
  await Deno.writeTextFile(`${src}/not-in-manifest.txt`, "x");
  const log = `${tmp}/ssh-argv`;
  const fakeSsh = `${tmp}/ssh`;
  await Deno.writeTextFile(
    fakeSsh,
    `#!/bin/bash
printf '%s\\0' "$@" >${shellJoin([log])}
while [ "$#" -gt 0 ] && [ "$1" != box.invalid ]; do shift; done
shift
exec bash -c "$*"
`,
    { mode: 0o755 },
  );
  const ssh = sshBaseArgs({
    leaseDir: `${tmp}/lease dir`,
    leaseId: "cbx_0123456789ab",
    user: "crabbox",
    host: "box.invalid",
    port: 2222,
    controlPath: null,
    connectTimeoutSecs: 10,
    controlPersistSecs: 600,
    configFile: "none",
  });
  const workdir = `${tmp}/work/cbx_0123456789ab/repo`; // missing levels: --mkpath creates them
  const argv = rsyncArgs({
    sshCommand: shellJoin([fakeSsh, ...ssh.slice(0, -1)]),
    destination: `crabbox@box.invalid:${workdir}/`,
    checksum: false,
    debug: false,
  });
  const child = new Deno.Command("rsync", { args: argv, cwd: src, stdin: "piped", stderr: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(files.map((f) => f + "\0").join("")));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));

  for (const file of files) assert.equal(await Deno.readTextFile(`${workdir}/${file}`), file);
  const sent = [...Deno.readDirSync(workdir)].map((e) => e.name).sort();
  assert.deepEqual(sent, ["a.txt", "dir"]);
  const sshArgv = (await Deno.readTextFile(log)).split("\0").slice(0, -1);
  // rsync split the -e string back into the pinned option set, the space in the path intact.
  assert.deepEqual(sshArgv.slice(0, ssh.length - 1), ssh.slice(0, -1));
  assert.ok(sshArgv.includes(`${tmp}/lease dir/id_ed25519`));
  await Deno.remove(tmp, { recursive: true });
});

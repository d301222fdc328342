import assert from "node:assert/strict";
import { controlSocketPath, sshBaseArgs } from "../../ssh/args.ts";

const input = {
  leaseDir: "/home/a/.config/crabbox/leases/cbx_0123456789ab",
  leaseId: "cbx_0123456789ab",
  user: "crabbox",
  host: "203.0.113.7",
  port: 2222,
  controlPath: "/run/user/1000/crabbox/3fa1b2c4d5e6",
  connectTimeoutSecs: 10,
  controlPersistSecs: 600,
  configFile: "none",
};

Deno.test("the pinned option set (SPEC §9.1), golden", () => {
  assert.equal(
    sshBaseArgs(input).join(" "),
    "-F none -i /home/a/.config/crabbox/leases/cbx_0123456789ab/id_ed25519 -o IdentitiesOnly=yes " +
      "-o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=yes " +
      "-o UserKnownHostsFile=/home/a/.config/crabbox/leases/cbx_0123456789ab/known_hosts " +
      "-o GlobalKnownHostsFile=/dev/null -o HostKeyAlias=cbx_0123456789ab -o HostKeyAlgorithms=ssh-ed25519 " +
      "-o CheckHostIP=no -o ForwardAgent=no -o ForwardX11=no -o ClearAllForwardings=yes -o PermitLocalCommand=no " +
      "-o ConnectTimeout=10 -o ConnectionAttempts=1 -o ServerAliveInterval=15 -o ServerAliveCountMax=4 " +
      "-o ControlMaster=auto -o ControlPath=/run/user/1000/crabbox/3fa1b2c4d5e6 -o ControlPersist=600s " +
      "-o LogLevel=ERROR -p 2222 crabbox@203.0.113.7",
  );
});

Deno.test("the real ssh reads the options as intended (ssh -G)", async () => {
  const out = await new Deno.Command("ssh", {
    args: ["-G", ...sshBaseArgs(input)],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const effective = new TextDecoder().decode(out.stdout);
  for (
    const line of [
      "identitiesonly yes",
      "batchmode yes",
      "stricthostkeychecking true",
      "hostkeyalias cbx_0123456789ab",
      "forwardagent no",
      "forwardx11 no",
      "clearallforwardings yes",
      "port 2222",
      "user crabbox",
      "identityagent none",
      "controlmaster auto",
      "serveraliveinterval 15",
      "hostkeyalgorithms ssh-ed25519",
    ]
  ) assert.match(effective, new RegExp(`^${line}$`, "m"), line);
});

Deno.test("control socket paths are short or multiplexing is off", () => {
  const path = controlSocketPath({
    runtimeDir: "/run/user/1000",
    tmpDir: "/tmp",
    uid: 1000,
    leaseId: "cbx_0123456789ab",
    ip: "203.0.113.7",
    port: 2222,
  });
  assert.match(path!, /^\/run\/user\/1000\/crabbox\/[0-9a-f]{12}$/);
  const fallback = controlSocketPath({
    runtimeDir: null,
    tmpDir: "/tmp",
    uid: 1000,
    leaseId: "cbx_0123456789ab",
    ip: "203.0.113.7",
    port: 22,
  });
  assert.match(fallback!, /^\/tmp\/crabbox-1000\/[0-9a-f]{12}$/);
  assert.equal(
    controlSocketPath({
      runtimeDir: "/x".repeat(50),
      tmpDir: "/tmp",
      uid: 1,
      leaseId: "cbx_0123456789ab",
      ip: "1.2.3.4",
      port: 22,
    }),
    null,
  );
});

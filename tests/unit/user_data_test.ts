import assert from "node:assert/strict";
import { parse } from "yaml";
import { buildUserData } from "../../providers/hetzner/user_data.ts";
import { validateCloudConfig } from "../contract/cloud_init_schema.ts";

const input = {
  clientPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIClient crabbox cbx_0123456789ab",
  hostPrivateKey:
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n",
  hostPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHost crabbox-host cbx_0123456789ab",
  ports: [2222, 22],
  workRoot: "/work/crabbox",
  sshUser: "crabbox",
};

Deno.test("user-data passes cloud-init's schema and stays under 32 KiB", () => {
  const text = buildUserData(input);
  assert.ok(text.startsWith("#cloud-config\n"));
  assert.deepEqual(validateCloudConfig(text), []);
  assert.ok(new TextEncoder().encode(text).length < 32 * 1024);
});

Deno.test("user-data pins the host key, key-only sshd on both ports, and restarts socket-activated ssh", () => {
  const doc = parse(buildUserData(input));
  assert.equal(doc.ssh_pwauth, false);
  assert.equal(doc.disable_root, true);
  assert.equal(doc.ssh_deletekeys, true);
  assert.equal(doc.ssh_keys.ed25519_public, input.hostPublicKey);
  assert.equal(doc.ssh_keys.ed25519_private, input.hostPrivateKey);
  assert.equal("ssh_genkeytypes" in doc, false);
  assert.deepEqual(doc.users[0].ssh_authorized_keys, [input.clientPublicKey]);
  const sshd = doc.write_files.find((f: { path: string }) =>
    f.path === "/etc/ssh/sshd_config.d/99-crabbox.conf"
  );
  assert.match(sshd.content, /^Port 2222\nPort 22\nPasswordAuthentication no\n/);
  assert.match(sshd.content, /^AllowUsers crabbox$/m);
  const ready = doc.write_files.find((f: { path: string }) => f.path === "/usr/local/bin/crabbox-ready");
  assert.equal(ready.permissions, "0755");
  const script = doc.runcmd[0][2];
  assert.match(script, /^set -euo pipefail/);
  assert.match(script, /systemctl daemon-reload\nsystemctl restart ssh\.socket/);
  assert.match(
    script,
    /install -d -o 'crabbox' -g 'crabbox' -m 0755 '\/work\/crabbox' '\/work\/crabbox\/\.crabbox'/,
  );
});

Deno.test("the schema checker rejects what cloud-init rejects", () => {
  assert.notDeepEqual(validateCloudConfig("runcmd: []\n"), []);
  assert.notDeepEqual(validateCloudConfig("#cloud-config\nssh_genkeytypes: []\n"), []);
  assert.notDeepEqual(
    validateCloudConfig("#cloud-config\nwrite_files:\n  - path: /x\n    permissions: 0644\n"),
    [],
  );
  assert.notDeepEqual(validateCloudConfig("#cloud-config\nruncmd: restart-ssh\n"), []);
});

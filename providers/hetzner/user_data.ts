/**
 * cloud-init user-data (SPEC §5.3), produced by the yaml package — never by string concatenation.
 * The box gets the CLI-generated host key, user crabbox with the lease key, sshd on the lease ports,
 * and crabbox-ready; runcmd installs any missing tools and restarts socket-activated sshd.
 */
import { stringify } from "yaml";

export interface UserDataInput {
  clientPublicKey: string;
  hostPrivateKey: string;
  hostPublicKey: string;
  ports: number[];
  workRoot: string;
  sshUser: string;
  /** A box forked from a checkpoint: the source's lease that the snapshot still carries. */
  fork?: { sourceLease: string; leaseId: string };
}

const q = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

function readyScript(ports: number[], workRoot: string, user: string): string {
  return `#!/bin/bash
# crabbox-ready: prints "ready" and exits 0, or "not-ready <check>" and exits 1.
fail() { echo "not-ready $1"; exit 1; }
[ -f /var/lib/crabbox/bootstrapped ] || fail bootstrapped
for tool in git rsync curl jq flock setsid; do command -v "$tool" >/dev/null 2>&1 || fail "$tool"; done
[ -d ${q(workRoot)} ] && [ "$(stat -c %U ${q(workRoot)})" = ${q(user)} ] || fail workroot
listening=$(ss -Hltn 2>/dev/null)
for port in ${ports.join(" ")}; do
  printf '%s\\n' "$listening" | grep -Eq "[:.]$port[[:space:]]" || fail "port-$port"
done
echo ready
`;
}

function bootstrapScript(workRoot: string, user: string): string {
  return `set -euo pipefail
missing=()
for pkg in openssh-server ca-certificates curl git rsync jq; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ \${#missing[@]} -gt 0 ]; then
  for n in 1 2 3 4 5 6 7 8; do
    if apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "\${missing[@]}"; then break; fi
    [ "$n" -lt 8 ] || exit 1
    sleep $((n * 5))
  done
fi
install -d -o ${q(user)} -g ${q(user)} -m 0755 ${q(workRoot)} ${q(`${workRoot}/.crabbox`)}
install -d /var/lib/crabbox
systemctl daemon-reload
systemctl restart ssh.socket || true
systemctl restart ssh
touch /var/lib/crabbox/bootstrapped
`;
}

/**
 * First boot of a fork (bootcmd, once per instance, before cloud-init writes users and keys): the
 * source's authorized key and bootstrap marker go (readiness waits for this boot's runcmd), its lease
 * dir becomes the new lease's (the workdir stays), any other lease dir and the run/env/lock state go.
 * Host keys need nothing here: ssh_deletekeys drops the snapshot's, ssh_keys installs the pinned one.
 */
const FORK_SCRIPT = `set -u
root=$1 src=$2 new=$3 user=$4
rm -f /var/lib/crabbox/bootstrapped "/home/$user/.ssh/authorized_keys"
if [ -n "$src" ] && [ -d "$root/$src" ] && [ ! -e "$root/$new" ]; then mv -- "$root/$src" "$root/$new"; fi
for dir in "$root"/cbx_*; do
  [ "$dir" = "$root/$new" ] || rm -rf -- "$dir"
done
rm -rf -- "$root/.crabbox/runs" "$root/.crabbox/env" "$root/.crabbox/lock.owner"
`;

export function buildUserData(input: UserDataInput): string {
  const sshdConfig = [
    ...input.ports.map((port) => `Port ${port}`),
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin no",
    `AllowUsers ${input.sshUser}`,
    "ClientAliveInterval 15",
    "ClientAliveCountMax 4",
    "",
  ].join("\n");
  const config = {
    package_update: false,
    package_upgrade: false,
    ssh_pwauth: false,
    disable_root: true,
    ssh_deletekeys: true,
    ssh_keys: {
      ed25519_private: input.hostPrivateKey.trimEnd() + "\n",
      ed25519_public: input.hostPublicKey.trim(),
    },
    users: [{
      name: input.sshUser,
      groups: ["sudo"],
      shell: "/bin/bash",
      sudo: "ALL=(ALL) NOPASSWD:ALL",
      lock_passwd: true,
      ssh_authorized_keys: [input.clientPublicKey.trim()],
    }],
    write_files: [
      { path: "/etc/ssh/sshd_config.d/99-crabbox.conf", permissions: "0644", content: sshdConfig },
      {
        path: "/etc/apt/apt.conf.d/80-crabbox-retries",
        permissions: "0644",
        content: 'Acquire::Retries "8";\nAcquire::http::Timeout "30";\nAcquire::https::Timeout "30";\n',
      },
      {
        path: "/usr/local/bin/crabbox-ready",
        permissions: "0755",
        content: readyScript(input.ports, input.workRoot, input.sshUser),
      },
    ],
    runcmd: [["bash", "-c", bootstrapScript(input.workRoot, input.sshUser)]],
  };
  if (input.fork) {
    const args = [input.workRoot, input.fork.sourceLease, input.fork.leaseId, input.sshUser];
    const bootcmd = [[
      "cloud-init-per",
      "instance",
      "crabbox-fork",
      "bash",
      "-c",
      FORK_SCRIPT,
      "crabbox-fork",
      ...args,
    ]];
    return `#cloud-config\n${stringify({ bootcmd, ...config }, { lineWidth: 0 })}`;
  }
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}

#!/usr/bin/env bash
# Idempotent setup for a fresh machine that has only Node/npm and apt:
# Deno (pinned, from npm) into tools/deno, Prism into tools/prism, the system tools crabbox and its
# test harness shell out to, and the cached npm dependencies of deno.json (frozen to deno.lock).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

need_apt=()
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need_apt+=(openssh-client)
command -v rsync >/dev/null 2>&1 || need_apt+=(rsync)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v jq >/dev/null 2>&1 || need_apt+=(jq)
command -v flock >/dev/null 2>&1 || need_apt+=(util-linux)
# The fake enforces Hetzner Firewalls inside each box's network namespace (tests/harness/firewalls.ts).
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need_apt+=(nftables)
# tools/test lints the remote scripts (ssh/scripts/*.sh).
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)
# The completion tests run each generated script in its own shell.
command -v zsh >/dev/null 2>&1 || need_apt+=(zsh)
command -v fish >/dev/null 2>&1 || need_apt+=(fish)
# The live-progress test runs the CLI in a real terminal: a detached tmux pane.
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (apt)" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

for tool in deno prism; do
  if [ -f "tools/$tool/package.json" ] && [ ! -d "tools/$tool/node_modules" ]; then
    echo "setup: installing tools/$tool from npm (pinned by its package-lock.json)" >&2
    # deno's lock cannot list the other platforms' binaries (the registry we reach lacks them), which
    # `npm ci` insists on; `npm install --no-save` follows the same lock and leaves it untouched.
    npm ci --prefix "tools/$tool" --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
      npm install --prefix "tools/$tool" --no-save --no-audit --no-fund --loglevel=error >/dev/null
  fi
done

export PATH="$root/tools/deno/node_modules/.bin:$PATH"
deno install --frozen >/dev/null 2>&1 || deno install --frozen

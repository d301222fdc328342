#!/bin/sh
# crabbox installer:
#   curl -fsSL "https://github.com/$CRABBOX_REPO/releases/latest/download/install.sh" | sh
# Downloads the release archive for this platform, verifies it against SHA256SUMS, installs the binary.
# Environment: CRABBOX_REPO (owner/name of the GitHub repository whose releases to install; the copy
# attached to a release names its own repository), CRABBOX_INSTALL_DIR (default ~/.local/bin),
# CRABBOX_VERSION (default latest), CRABBOX_BASE_URL (mirrors and tests; CRABBOX_REPO is then unused),
# CRABBOX_OS / CRABBOX_ARCH (tests).
# Exit codes: 0 installed, 1 download failure or no repository named, 2 unsupported platform,
# 3 checksum mismatch (nothing installed).
set -eu

# The release workflow writes its own repository here in the copy it publishes.
release_repo=""

main() {
  os=${CRABBOX_OS:-$(uname -s)}
  arch=${CRABBOX_ARCH:-$(uname -m)}
  case "$os" in
    Linux) os_part=unknown-linux-gnu ;;
    Darwin) os_part=apple-darwin ;;
    *) echo "crabbox: unsupported OS: $os (Linux and macOS are supported)" >&2; exit 2 ;;
  esac
  case "$arch" in
    x86_64 | amd64) arch_part=x86_64 ;;
    aarch64 | arm64) arch_part=aarch64 ;;
    *) echo "crabbox: unsupported architecture: $arch (x86_64 and arm64 are supported)" >&2; exit 2 ;;
  esac
  target="$arch_part-$os_part"
  asset="crabbox-$target.tar.gz"
  version=${CRABBOX_VERSION:-latest}
  repo=${CRABBOX_REPO:-$release_repo}
  if [ -n "${CRABBOX_BASE_URL:-}" ]; then
    base=${CRABBOX_BASE_URL%/}
  elif [ -z "$repo" ]; then
    echo "crabbox: no repository to install from; set CRABBOX_REPO=owner/name (or CRABBOX_BASE_URL)" >&2
    exit 1
  elif [ "$version" = latest ]; then
    base="https://github.com/$repo/releases/latest/download"
  else
    base="https://github.com/$repo/releases/download/v${version#v}"
  fi
  dest=${CRABBOX_INSTALL_DIR:-$HOME/.local/bin}

  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT INT TERM
  if ! curl -fsSL --retry 3 -o "$tmp/$asset" "$base/$asset" || ! curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$base/SHA256SUMS"; then
    echo "crabbox: download failed from $base" >&2
    exit 1
  fi
  expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$tmp/SHA256SUMS")
  if command -v sha256sum >/dev/null 2>&1; then
    actual=$(sha256sum "$tmp/$asset" | awk '{ print $1 }')
  else
    actual=$(shasum -a 256 "$tmp/$asset" | awk '{ print $1 }')
  fi
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    echo "crabbox: checksum mismatch for $asset; nothing was installed" >&2
    exit 3
  fi
  tar -xzf "$tmp/$asset" -C "$tmp"
  mkdir -p "$dest"
  install -m 0755 "$tmp/crabbox" "$dest/crabbox"
  installed=$("$dest/crabbox" --version 2>/dev/null || echo "$version")
  echo "installed crabbox $installed to $dest"
  case ":$PATH:" in
    *":$dest:"*) ;;
    *) echo "add it to your PATH: export PATH=\"$dest:\$PATH\"" ;;
  esac
}

main "$@"

# shellcheck shell=bash
# A pond member's managed /etc/hosts block (docs/ponds.md): the old block (between the crabbox markers)
# is dropped and the new one appended, in place (bind mounts pin the inode), only when it changed.
# Args: hosts file, the whole block (from labels/pond.ts renderHostsBlock; empty: remove it)
set -euo pipefail
file=$1 block=$2
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
awk -v begin="# crabbox pond begin" -v end="# crabbox pond end" '
  index($0, begin) == 1 { skip = 1; next }
  skip && index($0, end) == 1 { skip = 0; next }
  !skip { print }
' "$file" >"$tmp"
printf '%s' "$block" >>"$tmp"
if cmp -s "$tmp" "$file"; then exit 0; fi
if [ -w "$file" ]; then
  cat "$tmp" >"$file"
elif sudo -n true 2>/dev/null; then
  sudo -n sh -c 'cat "$1" >"$2"' sh "$tmp" "$file"
else
  echo "cannot write $file: not writable and no passwordless sudo" >&2
  exit 1
fi

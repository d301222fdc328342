# shellcheck shell=bash
# A static host's lease slot: <root>/.crabbox/lease.{id,json} under flock on lease.lock (not the box
# lock, which a run holds throughout). Args: op root [lease]; claim/write read the record on stdin.
# Prints the record (read), or CLAIMED / BUSY <lease> / WRITTEN / RELEASED / GONE.
op=$1 root=$2 lease=${3:-}
dir="$root/.crabbox"
case $op in
  read) [ -d "$dir" ] || exit 0 ;;
  claim | write | release)
    [[ $lease =~ ^cbx_[0-9a-f]{12}$ ]] || { echo "bad lease id" >&2; exit 64; }
    mkdir -p -- "$dir" || exit 74
    ;;
  *) echo "unknown op $op" >&2; exit 64 ;;
esac
exec 8>>"$dir/lease.lock" || exit 74
flock -w 30 8 || { echo "lease record busy" >&2; exit 75; }
current=$(cat -- "$dir/lease.id" 2>/dev/null)
save() { cat >"$dir/lease.json.tmp" && mv -f -- "$dir/lease.json.tmp" "$dir/lease.json"; }
case $op in
  read) if [ -n "$current" ]; then cat -- "$dir/lease.json"; fi ;;
  claim)
    if [ -n "$current" ]; then printf 'BUSY %s\n' "$current"; exit 0; fi
    save && printf '%s\n' "$lease" >"$dir/lease.id" && echo CLAIMED
    ;;
  write)
    if [ "$current" != "$lease" ]; then echo GONE; exit 0; fi
    save && echo WRITTEN
    ;;
  release)
    if [ "$current" != "$lease" ]; then echo GONE; exit 0; fi
    # Only crabbox's own: the lease workdir, sync state, run exits and env files. Never the host's files.
    rm -rf -- "${root:?}/${lease:?}" "$dir/sync" "$dir/runs" "$dir/env"
    rm -f -- "$dir/lease.id" "$dir/lease.json"
    echo RELEASED
    ;;
esac

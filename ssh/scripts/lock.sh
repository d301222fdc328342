# shellcheck shell=bash
# The box lock, held with flock until stdin closes. Args: root owner-json [sync-state-script repo]
# With the last two, the repo's sync state follows LOCKED (read under the lock), ended by END.
# Every program started before LOCKED/END is a wait for the client, so only flock is one.
root=$1 owner=$2
dir="$root/.crabbox"
[ -d "$dir" ] || mkdir -p -- "$dir" || exit 74
exec 9>>"$dir/lock" || exit 74
if ! flock -n 9; then
  printf 'BUSY %s\n' "$(cat -- "$dir/lock.owner" 2>/dev/null)"
  exit 75
fi
printf '%s\n' "$owner" >"$dir/lock.owner"
echo LOCKED
if [ $# -ge 4 ]; then
  # A subshell, not another bash: the state script's $1 and $2, its own exit.
  (
    state_script=$3
    set -- "$root" "$4"
    eval "$state_script"
  ) </dev/null
  echo END
fi
# Leftover env files of crashed runs hold forwarded values: remove those older than a day.
find "$dir/env" -type f -mmin +1440 -delete 2>/dev/null
# Held until the client's stdin closes (exit, crash or a lost connection).
cat >/dev/null
rm -f -- "$dir/lock.owner"

# shellcheck shell=bash
# Runs the command in its own process group with a stdin watchdog. Args: root workdir run env-bytes mode words...
# The channel's stdin starts with env-bytes bytes of forwarded env (export lines) for a 0600 file.
set -u
root=$1 workdir=$2 run=$3 env_bytes=$4 mode=$5
shift 5
runs="$root/.crabbox/runs"
env_file="$root/.crabbox/env/$run.env"
[ -d "$runs" ] || mkdir -p -- "$runs" || exit 97
if [ "$env_bytes" -gt 0 ]; then
  # head -c reads no further than its count, so the rest of stdin stays the watchdog's.
  if ! ( umask 077; { [ -d "${env_file%/*}" ] || mkdir -p -- "${env_file%/*}"; } &&
    head -c "$env_bytes" >"$env_file.tmp" ) ||
    [ "$(wc -c <"$env_file.tmp")" -ne "$env_bytes" ] || ! mv -f -- "$env_file.tmp" "$env_file"; then
    echo "crabbox-remote: could not write the env file" >&2
    rm -f -- "$env_file.tmp"
    exit 74
  fi
fi
cd -- "$workdir" 2>/dev/null || { echo "crabbox-remote: workdir $workdir is missing on the box" >&2; exit 97; }
if [ "$mode" = shell ]; then set -- bash -lc "$1"; fi
# The command leads its own process group so it can be stopped as a whole. The env file is sourced
# in that process, so forwarded names (run, mode, PATH…) cannot change this script's variables.
# shellcheck disable=SC2016 # $0 and $@ belong to the inner bash
setsid bash -c 'if [ -f "$0" ]; then . "$0"; fi; exec "$@"' "$env_file" "$@" </dev/null &
pid=$!
printf '%s\n' "$pid" >"$runs/$run.pid"
# Watchdog: the client keeps this channel's stdin open; EOF means it is gone.
exec 3<&0
( while IFS= read -r _; do :; done
  kill -0 -- "-$pid" 2>/dev/null && : >"$runs/$run.lost"
  kill -TERM -- "-$pid" 2>/dev/null; sleep 10; kill -KILL -- "-$pid" 2>/dev/null ) <&3 >/dev/null 2>&1 &
watchdog=$!
exec 3<&-
wait "$pid"
status=$?
kill "$watchdog" 2>/dev/null
printf '%s\n' "$status" >"$runs/$run.exit.tmp" && mv -f -- "$runs/$run.exit.tmp" "$runs/$run.exit"
rm -f -- "$env_file" "$runs/$run.pid"
exit "$status"

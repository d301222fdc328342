# shellcheck shell=bash
# Signals a run's process group. Args: root run signal
pid=$(cat -- "$1/.crabbox/runs/$2.pid" 2>/dev/null) || exit 0
[ -n "$pid" ] && kill "-$3" -- "-$pid" 2>/dev/null
exit 0

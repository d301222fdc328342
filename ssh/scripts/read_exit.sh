# shellcheck shell=bash
# The exit status of a run: a number, "lost <status>", "running" or "dead". Args: root run
runs="$1/.crabbox/runs" run=$2
if [ -f "$runs/$run.lost" ]; then echo "lost $(cat -- "$runs/$run.exit" 2>/dev/null)"; exit 0; fi
if [ -f "$runs/$run.exit" ]; then cat -- "$runs/$run.exit"; exit 0; fi
pid=$(cat -- "$runs/$run.pid" 2>/dev/null)
if [ -n "$pid" ] && kill -0 -- "-$pid" 2>/dev/null; then echo running; else echo dead; fi

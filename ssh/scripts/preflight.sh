# shellcheck shell=bash
# Prints each tool a login shell cannot find. Args: workdir tools...
cd -- "$1" 2>/dev/null || true
shift
exec bash -lc 'for t in "$@"; do command -v -- "$t" >/dev/null 2>&1 || printf "%s\n" "$t"; done' crabbox-preflight "$@"

# shellcheck shell=bash
# The last completed sync of a repo: fingerprint line, then "hydrated <commit>". Args: root repo
state="$1/.crabbox/sync/$2"
cat -- "$state/fingerprint" 2>/dev/null
if [ -f "$state/hydrated" ]; then printf 'hydrated %s\n' "$(cat -- "$state/hydrated")"; fi
exit 0

# shellcheck shell=bash
# The last completed sync of a repo: fingerprint line, then "hydrated <commit>", then "records none" when
# the box keeps no content ids for it (sync/box_sync_state.ts reads this). Args: root repo
# Shell builtins only: it runs inside the lock channel before the client may go on.
state="$1/.crabbox/sync/$2"
line=
if [ -f "$state/fingerprint" ]; then
  IFS= read -r line <"$state/fingerprint" || :
  if [ -n "$line" ]; then printf '%s\n' "$line"; fi
fi
if [ -f "$state/hydrated" ]; then
  line=
  IFS= read -r line <"$state/hydrated" || :
  printf 'hydrated %s\n' "$line"
fi
if [ ! -f "$state/ids" ]; then printf 'records none\n'; fi
exit 0

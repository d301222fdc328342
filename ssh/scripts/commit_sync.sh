# shellcheck shell=bash
# Commits manifest, content ids and fingerprint after a successful sync. Args: root repo fingerprint source
state="$1/.crabbox/sync/$2"
# The newest manifest.new.<pid>: the one the latest prune wrote.
new=
for candidate in "$state"/manifest.new.*; do
  if [ -f "$candidate" ] && { [ -z "$new" ] || [ "$candidate" -nt "$new" ]; }; then new=$candidate; fi
done
[ -n "$new" ] && mv -f -- "$new" "$state/manifest"
rm -f -- "$state"/manifest.new.*
if [ -f "$state/ids.new" ]; then mv -f -- "$state/ids.new" "$state/ids"; fi
printf '%s %s\n' "$3" "$4" >"$state/fingerprint.tmp" && mv -f -- "$state/fingerprint.tmp" "$state/fingerprint"

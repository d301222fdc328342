# shellcheck shell=bash
# Paths whose content id changed since the last sync (stdin: "<id> <path>\0" list). Args: root repo
set -u
export LC_ALL=C
state="$1/.crabbox/sync/$2"
mkdir -p -- "$state" || exit 74
# From here on the box's tree may differ from both records: an unfinished sync must never be skipped.
rm -f -- "$state/fingerprint"
new="$state/ids.new"
sort -z >"$new" || exit 74
old="$state/ids"
[ -f "$old" ] || : >"$old"
# Keep only the records the new list repeats, so a cut-short transfer leaves its files untrusted.
comm -z -12 -- "$old" "$new" >"$state/ids.kept" && mv -f -- "$state/ids.kept" "$old" || exit 74
comm -z -13 -- "$old" "$new" | sed -z 's/^[^ ]* //'

# shellcheck shell=bash
# Deletes the synced paths missing from the new manifest (stdin, NUL-separated). Args: root repo workdir limit allow
# [script argc args…]…: steps that run next in this channel, in order, each as a subshell with its own
# arguments and stdin /dev/null, each followed by `DONE <status>` (the commit, then git's hydration).
set -u
export LC_ALL=C
state="$1/.crabbox/sync/$2" workdir=$3 limit=$4 allow=$5
mkdir -p -- "$state" || exit 74
new="$state/manifest.new.$$"
cat >"$new"
old="$state/manifest"
[ -f "$old" ] || : >"$old"
gone="$state/gone.$$"
# old - new, NUL-separated, both sorted the same way.
comm -z -23 <(sort -z -- "$old") <(sort -z -- "$new") >"$gone"
count=$(tr -cd '\0' <"$gone" | wc -c)
newcount=$(tr -cd '\0' <"$new" | wc -c)
oldcount=$(tr -cd '\0' <"$old" | wc -c)
if [ "$allow" != 1 ] && { [ "$count" -ge "$limit" ] || { [ "$newcount" -eq 0 ] && [ "$oldcount" -gt 0 ]; }; }; then
  echo "MASS $count"
  tr '\0' '\n' <"$gone" | head -n 10
  rm -f -- "$new" "$gone"
  exit 66
fi
pruned=0
wd=$(cd -P -- "$workdir" 2>/dev/null && pwd) || : >"$gone"
while IFS= read -r -d '' path; do
  # Relative, normalized paths only, and never anything under .git.
  case "/$path/" in *//* | */./* | */../* | */.git/*) continue ;; esac
  # Never through a symlink: every parent must be a real directory inside the workdir.
  cur=$wd rest=$path safe=1
  while [ "$rest" != "${rest#*/}" ]; do
    cur="$cur/${rest%%/*}" rest=${rest#*/}
    if [ -L "$cur" ] || [ ! -d "$cur" ]; then safe=0; break; fi
  done
  [ "$safe" = 1 ] || continue
  target="$wd/$path"
  if [ -L "$target" ] || [ -f "$target" ]; then rm -f -- "$target" && pruned=$((pruned + 1)); fi
  dir=$path
  while [ "$dir" != "${dir%/*}" ]; do dir=${dir%/*}; rmdir -- "$wd/$dir" 2>/dev/null || break; done
done <"$gone"
rm -f -- "$gone"
echo "PRUNED $pruned"
shift 5
while [ $# -ge 2 ]; do
  step_script=$1 step_argc=$2
  shift 2
  (
    step_args=("${@:1:step_argc}")
    set -- "${step_args[@]}"
    eval "$step_script"
  ) </dev/null
  printf '\nDONE %s\n' "$?"
  shift "$step_argc"
done

# shellcheck shell=bash
# Regular files matching globs under the workdir, as "path\0size\0" pairs. Args: workdir globs...
cd -- "$1" 2>/dev/null || exit 0
shift
shopt -s globstar nullglob dotglob
IFS=$'\n'
for pattern in "$@"; do
  for file in $pattern; do
    if [ -f "$file" ] && [ ! -L "$file" ]; then printf '%s\0%s\0' "$file" "$(stat -c %s -- "$file")"; fi
  done
done

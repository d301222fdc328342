# shellcheck shell=bash
# doctor's look at a static host, read only: key=value lines for the login user, the tools crabbox runs
# there, whether the work root is writable (or creatable), and the lease record on one line. Args: root.
root=$1
printf 'user=%s\n' "$(id -un)"
for t in bash flock rsync git; do
  if command -v "$t" >/dev/null 2>&1; then echo "tool_$t=yes"; else echo "tool_$t=no"; fi
done
parent=$root
while [ ! -e "$parent" ] && [ "$parent" != / ]; do parent=$(dirname -- "$parent"); done
if [ -d "$root" ]; then
  if [ -w "$root" ]; then echo workroot=writable; else echo workroot=read-only; fi
elif [ -e "$root" ]; then
  echo workroot=not-a-directory
elif [ -d "$parent" ] && [ -w "$parent" ]; then
  echo workroot=creatable
else
  echo workroot=not-creatable
fi
if [ -s "$root/.crabbox/lease.id" ] && [ -f "$root/.crabbox/lease.json" ]; then
  printf 'record=%s\n' "$(tr -d '\n' <"$root/.crabbox/lease.json")"
else
  echo record=
fi

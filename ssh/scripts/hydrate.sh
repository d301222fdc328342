# shellcheck shell=bash
# Makes the workdir a git checkout at the local HEAD (SPEC §10.6). Args: root repo workdir head branch
# step [origin base]. step "fetch": from the box's own objects or origin, else NEED; step "bundle": stdin
# is a git bundle holding HEAD. git never looks above the workdir for a repository, and each failure
# prints `FAIL <git's last error line>` so the client can name the real cause.
set -u
root=$1 repo=$2 workdir=$3 head=$4 branch=$5 step=$6
state="$root/.crabbox/sync/$repo"
mkdir -p -- "$state" || exit 74
err="$state/hydrate.err"
fail() {
  printf 'FAIL %s\n' "$(grep -v '^[[:space:]]*$' "$err" 2>/dev/null | tail -n 1)"
  rm -f -- "$err" "$state/hydrate.bundle"
  exit 0
}
cd -- "$workdir" 2>"$err" || fail
export GIT_CEILING_DIRECTORIES="${workdir%/*}"
# HEAD points where it points locally (a branch, or detached), then index and HEAD move to the commit.
checkout() {
  if [ -n "$branch" ] && git check-ref-format --branch "$branch" >/dev/null 2>&1; then
    git symbolic-ref HEAD "refs/heads/$branch" 2>"$err" || fail
  else
    git update-ref --no-deref HEAD "$head" 2>"$err" || fail
  fi
  git reset -q --mixed "$head" 2>"$err" || fail
  printf '%s\n' "$head" >"$state/hydrated"
  rm -f -- "$err"
  echo HYDRATED
}
if [ "$step" = bundle ]; then
  bundle="$state/hydrate.bundle"
  cat >"$bundle" 2>"$err" || fail
  git bundle unbundle "$bundle" >/dev/null 2>"$err" || fail
  rm -f -- "$bundle"
  git cat-file -e "$head^{commit}" 2>"$err" || fail
  checkout
  exit 0
fi
origin=$7 base=$8
rm -f -- "$state/hydrated"
[ -d .git ] || git init -q 2>"$err" || fail
git rev-parse --git-dir >/dev/null 2>"$err" || fail # a broken .git says so, before any bundle is made
if [ -n "$origin" ]; then
  if git remote get-url origin >/dev/null 2>&1; then git remote set-url origin "$origin"; else git remote add origin "$origin"; fi 2>"$err" || fail
  if [ -n "$base" ]; then
    git fetch -q --filter=blob:none --depth=200 origin "+refs/heads/$base:refs/remotes/origin/$base" 2>/dev/null ||
      git fetch -q --depth=200 origin "+refs/heads/$base:refs/remotes/origin/$base" 2>/dev/null || echo "NOBASE"
  fi
fi
if git cat-file -e "$head^{commit}" 2>/dev/null; then checkout; exit 0; fi
if [ -n "$origin" ]; then
  if git fetch -q --filter=blob:none --depth=1 origin "$head" 2>/dev/null || git fetch -q --depth=1 origin "$head" 2>"$err"; then
    checkout
    exit 0
  fi
  printf 'ORIGIN %s\n' "$(grep -v '^[[:space:]]*$' "$err" | tail -n 1)"
fi
# The client sends a bundle of what this repository lacks; the box's HEAD is a base it may build on.
printf 'NEED %s\n' "$(git rev-parse -q --verify HEAD || echo none)"

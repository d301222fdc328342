/**
 * Remote bash scripts sent as the ssh command text (never installed on the box). Values travel as
 * positional arguments ($1…), each single-quoted by the caller, never spliced into the script.
 */
import { usageError } from "../core/errors.ts";
import { ENV_NAME } from "../config/env_allow.ts";

export interface RemoteScript {
  script: string;
  args: string[];
}

const EXEC = `set -u
root=$1 workdir=$2 run=$3 mode=$4
shift 4
runs="$root/.crabbox/runs"
env_file="$root/.crabbox/env/$run.env"
mkdir -p -- "$runs" || exit 97
cd -- "$workdir" 2>/dev/null || { echo "crabbox-remote: workdir $workdir is missing on the box" >&2; exit 97; }
if [ "$mode" = shell ]; then set -- bash -lc "$1"; fi
# The command leads its own process group so it can be stopped as a whole. The env file is sourced
# in that process, so forwarded names (run, mode, PATH…) cannot change this script's variables.
setsid bash -c 'if [ -f "$0" ]; then . "$0"; fi; exec "$@"' "$env_file" "$@" </dev/null &
pid=$!
printf '%s\\n' "$pid" >"$runs/$run.pid"
# Watchdog: the client keeps this channel's stdin open; EOF means it is gone.
exec 3<&0
( while IFS= read -r _; do :; done
  kill -0 -- "-$pid" 2>/dev/null && : >"$runs/$run.lost"
  kill -TERM -- "-$pid" 2>/dev/null; sleep 10; kill -KILL -- "-$pid" 2>/dev/null ) <&3 >/dev/null 2>&1 &
watchdog=$!
exec 3<&-
wait "$pid"
status=$?
kill "$watchdog" 2>/dev/null
printf '%s\\n' "$status" >"$runs/$run.exit.tmp" && mv -f -- "$runs/$run.exit.tmp" "$runs/$run.exit"
rm -f -- "$env_file" "$runs/$run.pid"
exit "$status"
`;

/** SPEC §9.5: argv mode execs the words as given; shell mode runs one string under bash -lc. */
export function execScript(input: {
  workRoot: string;
  workdir: string;
  runId: string;
  argv?: string[];
  shell?: string;
}): RemoteScript {
  const mode = input.shell !== undefined ? "shell" : "argv";
  const words = input.shell !== undefined ? [input.shell] : input.argv ?? [];
  return { script: EXEC, args: [input.workRoot, input.workdir, input.runId, mode, ...words] };
}

const READ_EXIT = `runs="$1/.crabbox/runs" run=$2
if [ -f "$runs/$run.lost" ]; then echo "lost $(cat -- "$runs/$run.exit" 2>/dev/null)"; exit 0; fi
if [ -f "$runs/$run.exit" ]; then cat -- "$runs/$run.exit"; exit 0; fi
pid=$(cat -- "$runs/$run.pid" 2>/dev/null)
if [ -n "$pid" ] && kill -0 -- "-$pid" 2>/dev/null; then echo running; else echo dead; fi
`;

/** Prints the recorded exit status, `lost <status>` when the watchdog stopped it, or `running` / `dead`. */
export function readExitScript(input: { workRoot: string; runId: string }): RemoteScript {
  return { script: READ_EXIT, args: [input.workRoot, input.runId] };
}

const KILL = `pid=$(cat -- "$1/.crabbox/runs/$2.pid" 2>/dev/null) || exit 0
[ -n "$pid" ] && kill "-$3" -- "-$pid" 2>/dev/null
exit 0
`;

/** Signals the command's process group (second channel; Ctrl-C and --timeout). */
export function killScript(
  input: { workRoot: string; runId: string; signal: "TERM" | "KILL" },
): RemoteScript {
  return { script: KILL, args: [input.workRoot, input.runId, input.signal] };
}

const LOCK = `root=$1 owner=$2
dir="$root/.crabbox"
mkdir -p -- "$dir" || exit 74
exec 9>>"$dir/lock" || exit 74
if ! flock -n 9; then
  printf 'BUSY %s\\n' "$(cat -- "$dir/lock.owner" 2>/dev/null)"
  exit 75
fi
printf '%s\\n' "$owner" >"$dir/lock.owner"
# Leftover env files of crashed runs hold forwarded values: remove those older than a day.
find "$dir/env" -type f -mmin +1440 -delete 2>/dev/null
echo LOCKED
# Held until the client's stdin closes (exit, crash or a lost connection).
cat >/dev/null
rm -f -- "$dir/lock.owner"
`;

/**
 * SPEC §8.1: the box lock, held by this channel with flock. Prints LOCKED and blocks on stdin, or
 * prints `BUSY <owner json>` and exits 75. Never waits on the box: the client retries.
 */
export function lockScript(input: { workRoot: string; ownerJson: string }): RemoteScript {
  return { script: LOCK, args: [input.workRoot, input.ownerJson] };
}

const SYNC_STATE = `state="$1/.crabbox/sync/$2"
cat -- "$state/fingerprint" 2>/dev/null
if [ -f "$state/hydrated" ]; then printf 'hydrated %s\n' "$(cat -- "$state/hydrated")"; fi
exit 0
`;

/**
 * Prints `<fingerprint> <source>` of the last completed sync of this repo to the box (or nothing),
 * then `hydrated <commit>` once the workdir's git is at that commit.
 */
export function readSyncStateScript(input: { workRoot: string; repo: string }): RemoteScript {
  return { script: SYNC_STATE, args: [input.workRoot, input.repo] };
}

const PRUNE = `set -u
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
count=$(tr -cd '\\0' <"$gone" | wc -c)
newcount=$(tr -cd '\\0' <"$new" | wc -c)
oldcount=$(tr -cd '\\0' <"$old" | wc -c)
if [ "$allow" != 1 ] && { [ "$count" -ge "$limit" ] || { [ "$newcount" -eq 0 ] && [ "$oldcount" -gt 0 ]; }; }; then
  echo "MASS $count"
  tr '\\0' '\\n' <"$gone" | head -n 10
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
  while [ "$rest" != "\${rest#*/}" ]; do
    cur="$cur/\${rest%%/*}" rest=\${rest#*/}
    if [ -L "$cur" ] || [ ! -d "$cur" ]; then safe=0; break; fi
  done
  [ "$safe" = 1 ] || continue
  target="$wd/$path"
  if [ -L "$target" ] || [ -f "$target" ]; then rm -f -- "$target" && pruned=$((pruned + 1)); fi
  dir=$path
  while [ "$dir" != "\${dir%/*}" ]; do dir=\${dir%/*}; rmdir -- "$wd/$dir" 2>/dev/null || break; done
done <"$gone"
rm -f -- "$gone"
echo "PRUNED $pruned"
`;

/**
 * SPEC §10.5 step 3: deletes only paths crabbox synced before that are gone from the new manifest
 * (stdin, NUL-separated). Never .git, never a path crabbox did not sync; a mass deletion exits 66.
 */
export function pruneScript(input: {
  workRoot: string;
  repo: string;
  workdir: string;
  massDeleteLimit: number;
  allowMassDelete: boolean;
}): RemoteScript {
  return {
    script: PRUNE,
    args: [
      input.workRoot,
      input.repo,
      input.workdir,
      String(input.massDeleteLimit),
      input.allowMassDelete ? "1" : "0",
    ],
  };
}

const CHANGED_FILES = `set -u
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
`;

/**
 * Before the transfer: stdin is the `<content id> <path>\0` list of what is about to be sent. Prints,
 * NUL-separated, the paths whose content id differs from the box's record of the last sync (or that
 * it has no record of): rsync must not trust size+mtime for those.
 */
export function changedFilesScript(input: { workRoot: string; repo: string }): RemoteScript {
  return { script: CHANGED_FILES, args: [input.workRoot, input.repo] };
}

const COMMIT_SYNC = `state="$1/.crabbox/sync/$2"
new=$(ls -t -- "$state"/manifest.new.* 2>/dev/null | head -n 1)
[ -n "$new" ] && mv -f -- "$new" "$state/manifest"
rm -f -- "$state"/manifest.new.*
if [ -f "$state/ids.new" ]; then mv -f -- "$state/ids.new" "$state/ids"; fi
printf '%s %s\\n' "$3" "$4" >"$state/fingerprint.tmp" && mv -f -- "$state/fingerprint.tmp" "$state/fingerprint"
`;

/**
 * SPEC §10.5 step 4: manifest, content ids and fingerprint are committed only after transfer and
 * prune succeeded.
 */
export function commitSyncScript(
  input: { workRoot: string; repo: string; fingerprint: string; source: string },
): RemoteScript {
  return { script: COMMIT_SYNC, args: [input.workRoot, input.repo, input.fingerprint, input.source] };
}

const FULL_RESYNC = `rm -rf -- "$1/$2/$3" "$1/.crabbox/sync/$3"`;

/** --full-resync: forget the workdir and the sync state of this repo on this lease. */
export function fullResyncScript(input: { workRoot: string; leaseId: string; repo: string }): RemoteScript {
  return { script: FULL_RESYNC, args: [input.workRoot, input.leaseId, input.repo] };
}

const ENV_UPLOAD = `umask 077
dir="$1/.crabbox/env"
mkdir -p -- "$dir" || exit 74
cat >"$dir/$2.env.tmp" && mv -f -- "$dir/$2.env.tmp" "$dir/$2.env"
`;

/** SPEC §9.4: forwarded values arrive on stdin into a 0600 file; never on a command line. */
export function envUploadScript(input: { workRoot: string; runId: string }): RemoteScript {
  return { script: ENV_UPLOAD, args: [input.workRoot, input.runId] };
}

/**
 * `export NAME='value'` lines, single quotes escaped. The file is sourced by bash on the box, so a name
 * is the one part that cannot be quoted: anything but a plain variable name is refused, whatever passed it.
 */
export function renderEnvFile(vars: Record<string, string>): string {
  return Object.entries(vars).map(([name, value]) => {
    if (!ENV_NAME.test(name)) {
      throw usageError(
        `refusing to forward ${JSON.stringify(name)}: not a valid environment variable name`,
        "variable names are letters, digits and _, not starting with a digit; rename or unset it",
      );
    }
    return `export ${name}='${value.replaceAll("'", `'\\''`)}'\n`;
  }).join("");
}

// Shared by both hydration scripts. git never looks above the workdir for a repository, and each
// failure prints `FAIL <git's last error line>` so the client can name the real cause.
const HYDRATE_COMMON = `set -u
root=$1 repo=$2 workdir=$3 head=$4 branch=$5
state="$root/.crabbox/sync/$repo"
mkdir -p -- "$state" || exit 74
err="$state/hydrate.err"
fail() {
  printf 'FAIL %s\\n' "$(grep -v '^[[:space:]]*$' "$err" 2>/dev/null | tail -n 1)"
  rm -f -- "$err" "$state/hydrate.bundle"
  exit 0
}
cd -- "$workdir" 2>"$err" || fail
export GIT_CEILING_DIRECTORIES="\${workdir%/*}"
# HEAD points where it points locally (a branch, or detached), then index and HEAD move to the commit.
checkout() {
  if [ -n "$branch" ] && git check-ref-format --branch "$branch" >/dev/null 2>&1; then
    git symbolic-ref HEAD "refs/heads/$branch" 2>"$err" || fail
  else
    git update-ref --no-deref HEAD "$head" 2>"$err" || fail
  fi
  git reset -q --mixed "$head" 2>"$err" || fail
  printf '%s\\n' "$head" >"$state/hydrated"
  rm -f -- "$err"
  echo HYDRATED
}
`;

const HYDRATE = HYDRATE_COMMON + `origin=$6 base=$7
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
  printf 'ORIGIN %s\\n' "$(grep -v '^[[:space:]]*$' "$err" | tail -n 1)"
fi
# The client sends a bundle of what this repository lacks; the box's HEAD is a base it may build on.
printf 'NEED %s\\n' "$(git rev-parse -q --verify HEAD || echo none)"
`;

/**
 * SPEC §10.6: the workdir becomes a git checkout at the local HEAD, fetched from origin when the box
 * can, and the base ref fetched. Prints HYDRATED; or `NEED <box HEAD|none>` (after `ORIGIN <error>`
 * if origin could not serve it) when the commit must come in a bundle; or `FAIL <git error>`.
 * Always clears the `hydrated` mark first, so a failure is retried by the next run.
 */
export function hydrateScript(
  input: {
    workRoot: string;
    repo: string;
    workdir: string;
    origin: string;
    head: string;
    base: string;
    branch: string;
  },
): RemoteScript {
  return {
    script: HYDRATE,
    args: [input.workRoot, input.repo, input.workdir, input.head, input.branch, input.origin, input.base],
  };
}

const HYDRATE_BUNDLE = HYDRATE_COMMON + `bundle="$state/hydrate.bundle"
cat >"$bundle" 2>"$err" || fail
git bundle unbundle "$bundle" >/dev/null 2>"$err" || fail
rm -f -- "$bundle"
git cat-file -e "$head^{commit}" 2>"$err" || fail
checkout
`;

/** stdin is a git bundle holding the local HEAD: unbundled into the workdir's repository, then checked out. */
export function hydrateBundleScript(
  input: { workRoot: string; repo: string; workdir: string; head: string; branch: string },
): RemoteScript {
  return {
    script: HYDRATE_BUNDLE,
    args: [input.workRoot, input.repo, input.workdir, input.head, input.branch],
  };
}

const LIST_GLOBS = `cd -- "$1" 2>/dev/null || exit 0
shift
shopt -s globstar nullglob dotglob
IFS=$'\n'
for pattern in "$@"; do
  for file in $pattern; do
    if [ -f "$file" ] && [ ! -L "$file" ]; then printf '%s\\0%s\\0' "$file" "$(stat -c %s -- "$file")"; fi
  done
done
`;

/** NUL pairs `path\0size\0` of regular files matching the globs under the workdir (links not followed). */
export function listGlobsScript(input: { workdir: string; globs: string[] }): RemoteScript {
  return { script: LIST_GLOBS, args: [input.workdir, ...input.globs] };
}

/**
 * run.preflightTools: prints each tool that `command -v` cannot find, one per line, in a login shell (the
 * PATH the command's bash -lc sees), from the workdir. Always exits 0; the caller decides.
 */
const PREFLIGHT = `cd -- "$1" 2>/dev/null || true
shift
exec bash -lc 'for t in "$@"; do command -v -- "$t" >/dev/null 2>&1 || printf "%s\\n" "$t"; done' crabbox-preflight "$@"
`;

export function preflightScript(input: { workdir: string; tools: string[] }): RemoteScript {
  return { script: PREFLIGHT, args: [input.workdir, ...input.tools] };
}

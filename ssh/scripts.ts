/**
 * Remote bash scripts sent as the ssh command text (never installed on the box). Values travel as
 * positional arguments ($1…), each single-quoted by the caller, never spliced into the script.
 */

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
cd -- "$workdir" || { echo "crabbox: workdir $workdir is missing on the box" >&2; exit 97; }
if [ -f "$env_file" ]; then . "$env_file"; fi
if [ "$mode" = shell ]; then set -- bash -lc "$1"; fi
# The command leads its own process group so it can be stopped as a whole.
setsid "$@" </dev/null &
pid=$!
printf '%s\\n' "$pid" >"$runs/$run.pid"
# Watchdog: the client keeps this channel's stdin open; EOF means it is gone.
exec 3<&0
( while IFS= read -r _; do :; done
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
if [ -f "$runs/$run.exit" ]; then cat -- "$runs/$run.exit"; exit 0; fi
pid=$(cat -- "$runs/$run.pid" 2>/dev/null)
if [ -n "$pid" ] && kill -0 -- "-$pid" 2>/dev/null; then echo running; else echo dead; fi
`;

/** Prints the recorded exit status, or `running` / `dead`. */
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

/**
 * The read-only git queries a run asks of its repository, defined once: the modules that ask them and
 * the startup prefetch (sync/prefetch.ts) use these same argument lists. No imports, so main.ts can
 * load it before the command tree.
 */
export const GIT_TOPLEVEL = ["rev-parse", "--show-toplevel"];
export const GIT_STATUS = [
  "status",
  "--porcelain=v2",
  "-z",
  "--untracked-files=all",
  "--ignore-submodules=all",
  "--no-renames",
];
export const GIT_INDEX_PATH = ["rev-parse", "--git-path", "index"];
/** HEAD and its tree in one process (each spawn blocks the event loop ~2 ms); `--`: revisions, not paths. */
export const GIT_HEAD_AND_TREE = ["rev-parse", "HEAD", "HEAD^{tree}", "--"];
export const GIT_ORIGIN_URL = ["config", "--get", "remote.origin.url"];
export const GIT_ORIGIN_HEAD = ["symbolic-ref", "--short", "-q", "refs/remotes/origin/HEAD"];
export const GIT_BRANCH = ["branch", "--show-current"];
export const RSYNC_VERSION = ["--version"];

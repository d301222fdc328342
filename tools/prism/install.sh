#!/usr/bin/env sh
# Installs the pinned Stoplight Prism (package-lock.json) into tools/prism/node_modules; a no-op when present.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
if [ -x "$dir/node_modules/.bin/prism" ]; then exit 0; fi
timeout 600 npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
"$dir/node_modules/.bin/prism" --version >/dev/null

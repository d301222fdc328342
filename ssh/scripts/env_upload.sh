# shellcheck shell=bash
# Forwarded env values from stdin into a 0600 file. Args: root run
umask 077
dir="$1/.crabbox/env"
mkdir -p -- "$dir" || exit 74
cat >"$dir/$2.env.tmp" && mv -f -- "$dir/$2.env.tmp" "$dir/$2.env"

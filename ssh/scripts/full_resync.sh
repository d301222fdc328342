# shellcheck shell=bash
# Forgets a repo's workdir and sync state on the box. Args: root lease repo
rm -rf -- "${1:?}/${2:?}/${3:?}" "$1/.crabbox/sync/$3"

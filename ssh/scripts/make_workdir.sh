# shellcheck shell=bash
# The workdir of a run that syncs nothing. Args: workdir
mkdir -p -- "$1"

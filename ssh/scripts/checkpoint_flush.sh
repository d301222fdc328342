# shellcheck shell=bash
# Before a snapshot, with the box lock held: forwarded env values must not end up in the image, and
# the disk is flushed so the snapshot holds what the runs wrote. Args: root
root=$1
rm -rf -- "$root/.crabbox/env" || exit 74
sync || exit 74
echo FLUSHED

# shellcheck shell=bash
# What `crabbox doctor` reports of the box: user, work root, disk, git, rsync, readiness. Args: root
root=$1
echo "user=$(id -un)"
if [ -d "$root" ] && [ -w "$root" ]; then echo workroot=writable
elif [ -d "$root" ]; then echo workroot=read-only
else echo workroot=missing; fi
df -Pk "$root" 2>/dev/null | awk 'NR == 2 { print "disk_total_kb=" $2; print "disk_free_kb=" $4 }'
echo "git=$(git --version 2>/dev/null | head -n 1)"
echo "rsync=$(rsync --version 2>/dev/null | head -n 1 | sed -E 's/ +/ /g; s/ *protocol version ([0-9]+)/ (protocol \1)/')"
if command -v crabbox-ready >/dev/null 2>&1; then
  if crabbox-ready >/dev/null 2>&1; then echo ready=yes; else echo ready=no; fi
else echo ready=missing; fi

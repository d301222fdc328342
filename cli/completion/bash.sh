# shellcheck shell=bash
# The bash driver: after helpers.sh and the generated lookups.
_crabbox() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cpath
  cpath=$(_crabbox_path "${COMP_WORDS[@]:1:COMP_CWORD-1}")
  local IFS=$'\n'
  # shellcheck disable=SC2207
  COMPREPLY=($(compgen -W "$(_crabbox_candidates "$cpath" "$prev" "$cur")" -- "$cur"))
}
complete -o default -F _crabbox crabbox

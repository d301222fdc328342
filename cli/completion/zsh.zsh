# The zsh driver: after helpers.sh and the generated lookups (shellcheck cannot read zsh; zsh -n checks it).
_crabbox() {
  local cpath prev=${words[CURRENT-1]} cur=${words[CURRENT]}
  cpath=$(_crabbox_path "${(@)words[2,CURRENT-1]}")
  local -a candidates
  candidates=("${(@f)$(_crabbox_candidates "$cpath" "$prev" "$cur")}")
  candidates=("${(@)candidates:#}")
  if (( ${#candidates} )); then compadd -- "${candidates[@]}"; else _files; fi
}
if (( $+functions[compdef] )); then
  compdef _crabbox crabbox
else
  print -u2 "crabbox completions: run 'autoload -U compinit && compinit' first"
fi

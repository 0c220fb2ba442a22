# Real zsh completion, captured: an interactive zsh in a pseudo-terminal (zsh/zpty) runs
# compinit, loads SCRIPT as a person would (eval "$(<SCRIPT)"; or, with ZSH_COMPLETE_FPATH=DIR,
# autoloads _codex-login from DIR through $fpath), then gets each LINE typed with a TAB (and
# the line erased after). Every match completion adds is printed as "WORD<TAB>DISPLAY" after a
# "== LINE" header, then "<<done>>" (or "<<timeout>>" when completion never finished).
#
# Usage: zsh -f tests/support/zsh_complete.zsh SCRIPT LINE...

if [[ -o interactive && -n ${ZSH_COMPLETE_OUT-} ]]; then
  # Inside the pseudo-terminal. A wide, tall terminal and no "do you wish to see all": displays
  # are never cut and every list is shown without a question.
  stty columns 500 rows 1000 2>/dev/null
  LISTMAX=100000
  PS1='%% '
  if [[ -n ${ZSH_COMPLETE_FPATH-} ]]; then
    fpath=($ZSH_COMPLETE_FPATH $fpath)
    autoload -Uz compinit && compinit -u -D
  else
    autoload -Uz compinit && compinit -u -D
    eval "$(<$ZSH_COMPLETE_SCRIPT)"
  fi
  # compadd as completion calls it, recording what it adds (and how each match is shown);
  # the calls that only ask which words match (-O, -A, -D) pass through.
  compadd() {
    if (( ${@[(I)-[ODA]*]} )); then builtin compadd "$@"; return; fi
    local -a matches displays
    local i name
    for (( i = 1; i < $#; i++ )); do
      if [[ ${@[i]} == -d ]]; then name=${@[i+1]}; break; fi
    done
    builtin compadd -O matches "$@"
    if [[ -n $name ]]; then displays=("${(@P)name}"); builtin compadd -D displays "$@"; fi
    for (( i = 1; i <= $#matches; i++ )); do
      print -r -- "${matches[i]}"$'\t'"${displays[i]-}" >>$ZSH_COMPLETE_OUT
    done
    builtin compadd "$@"
  }
  _zsh_complete_capture() {
    _main_complete
    print -r -- '<<done>>' >>$ZSH_COMPLETE_OUT
  }
  zle -C zsh-complete-capture complete-word _zsh_complete_capture
  bindkey '^I' zsh-complete-capture
  return 0
fi

zmodload zsh/zpty || { print -ru2 -- 'zsh_complete: zsh/zpty is missing'; exit 3; }
script=$1
shift
out=$(mktemp) || exit 3
zpty capture env ZSH_COMPLETE_OUT=$out ZSH_COMPLETE_SCRIPT=$script TERM=dumb zsh -f -i
zpty -w capture "source ${(q)0:A}"
integer n=0 tries
local shown
for line in "$@"; do
  print -r -- "== $line" >>$out
  zpty -w -n capture "$line"$'\t'
  (( n++ ))
  # Up to 60 s: the machines running the tests are shared and may be slow.
  tries=0
  # What the terminal shows is read and dropped, or a full pseudo-terminal would block zsh.
  until (( $(grep -cx '<<done>>' $out) >= n )) || (( ++tries > 600 )); do
    while zpty -r -t capture shown; do :; done
    sleep 0.05
  done
  if (( tries > 600 )); then print -r -- '<<timeout>>' >>$out; break; fi
  zpty -w -n capture $'\C-u'
done
zpty -d capture
cat $out
rm -f $out

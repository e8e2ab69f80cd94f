package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// Shell completion: the app answers --generate-bash-completion (urfave's
// EnableBashCompletion) with the commands, or a command's flags; these
// scripts ask it. Adapted from urfave/cli's autocomplete/ scripts (MIT).

const bashCompletion = `# groupimport completion for bash: source it, e.g.
#   groupimport completion bash > /etc/bash_completion.d/groupimport
_groupimport_complete() {
  local cur words
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  words=("${COMP_WORDS[@]:0:$COMP_CWORD}")
  local opts
  if [[ "$cur" == -* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -F _groupimport_complete groupimport
`

const zshCompletion = `#compdef groupimport
# groupimport completion for zsh: put it on $fpath as _groupimport, e.g.
#   groupimport completion zsh > "${fpath[1]}/_groupimport"
_groupimport() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == -* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _groupimport groupimport
`

// completionCommand prints a completion script for a shell.
func completionCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name: "completion", Usage: "print a shell completion script: bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "Load it in the shell: source <(groupimport completion bash), or save it where the shell " +
			"looks for completions (bash: /etc/bash_completion.d/groupimport; zsh: _groupimport on $fpath; " +
			"fish: ~/.config/fish/completions/groupimport.fish).",
		Action: func(c *cli.Context) error {
			switch shell := c.Args().First(); shell {
			case "bash":
				fmt.Fprint(stdout, bashCompletion)
			case "zsh":
				fmt.Fprint(stdout, zshCompletion)
			case "fish":
				// from an app not yet run: urfave's help command, added
				// when an app runs, makes its fish generator recurse
				fresh := App(io.Discard, io.Discard)
				fresh.HideHelpCommand = true
				script, err := fresh.ToFishCompletion()
				if err != nil {
					return exitWith(1, err)
				}
				fmt.Fprint(stdout, script)
			default:
				return exitWith(2, fmt.Errorf("completion needs a shell: bash, zsh or fish (not %q)", shell))
			}
			return nil
		},
	}
}

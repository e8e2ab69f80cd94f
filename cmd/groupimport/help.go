package main

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
)

// The help is rendered here rather than by urfave's templates: flags
// grouped by their Category in the order of the flag tables, every line
// wrapped within helpWidth columns (urfave's own help runs a flag and its
// usage into one line of any length), and the same text for
// `groupimport help run` and `groupimport run --help`.

// helpWidth is the widest line of any help text.
const helpWidth = 100

// usageColumn is where a flag's usage starts.
const usageColumn = 34

//go:embed help_mapping.txt
var mappingHelp string

// appHelp is the help of groupimport itself.
func appHelp(app *cli.App) string {
	var b strings.Builder
	fmt.Fprintf(&b, "NAME:\n   %s - %s\n\nUSAGE:\n   %s COMMAND [options]\n\nCOMMANDS:\n", app.Name, app.Usage, app.Name)
	for _, c := range app.Commands {
		if !c.Hidden {
			writeColumns(&b, "   "+c.Name, c.Usage, 18)
		}
	}
	writeColumns(&b, "   help", "show help: groupimport help COMMAND (or COMMAND --help), groupimport help mapping", 18)
	b.WriteString("\nHELP TOPICS:\n")
	writeColumns(&b, "   mapping", "the mapping file: every key and type, with an example (groupimport help mapping)", 18)
	b.WriteString("\nGLOBAL OPTIONS:\n")
	writeColumns(&b, "   --help, -h", "show help", 18)
	writeColumns(&b, "   --version, -v", "print the version, commit and Go version", 18)
	b.WriteString("\nENVIRONMENT:\n")
	for _, e := range [][2]string{
		{"GROUPIMPORT_<OPTION>", "any option of a command, in capitals with _ for -: GROUPIMPORT_STATE=FILE for " +
			"--state FILE, GROUPIMPORT_QUIET=true (an option on the command line wins)"},
		{"CIO_API_KEY", "the API key (or --api-key-file FILE; never an option, which ps would show)"},
		{"XDG_STATE_HOME, HOME", "a run given neither --out DIR nor --report writes its report and rejects into " +
			"$XDG_STATE_HOME/groupimport/ (default ~/.local/state/groupimport/)"},
	} {
		writeColumns(&b, "   "+e[0], e[1], 26)
	}
	b.WriteString("\n" + exitHelp)
	return b.String()
}

// commandHelp is the help of one command: its usage, then its flags by
// category (hidden ones left out).
func commandHelp(cmd *cli.Command) string {
	var b strings.Builder
	b.WriteString("NAME:\n")
	for _, l := range wrap(fmt.Sprintf("groupimport %s - %s", cmd.Name, cmd.Usage), 3, helpWidth) {
		b.WriteString(l + "\n")
	}
	b.WriteString("\nUSAGE:\n")
	for _, l := range wrap(fmt.Sprintf("groupimport %s [options] %s", cmd.Name, cmd.ArgsUsage), 3, helpWidth) {
		b.WriteString(l + "\n")
	}
	if cmd.Description != "" {
		b.WriteString("\nDESCRIPTION:\n")
		for _, l := range wrap(cmd.Description, 3, helpWidth) {
			b.WriteString(l + "\n")
		}
	}
	b.WriteString("\nOPTIONS:\n")
	var order []string
	byCategory := map[string][]cli.Flag{}
	for _, f := range cmd.Flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		cat := ""
		if cf, ok := f.(cli.CategorizableFlag); ok {
			cat = cf.GetCategory()
		}
		if _, seen := byCategory[cat]; !seen {
			order = append(order, cat)
		}
		byCategory[cat] = append(byCategory[cat], f)
	}
	for i, cat := range order {
		if i > 0 {
			b.WriteString("\n")
		}
		if cat != "" {
			b.WriteString("  " + cat + ":\n")
		}
		for _, f := range byCategory[cat] {
			writeColumns(&b, "   "+flagNames(f), flagUsage(f), usageColumn)
		}
	}
	if len(order) > 0 {
		b.WriteString("\n")
	}
	writeColumns(&b, "   --help, -h", "show help", usageColumn)
	if len(order) > 0 {
		name := cmd.Flags[0].Names()[0]
		b.WriteString("\n")
		for _, l := range wrap(fmt.Sprintf("Every option can be set in the environment too: %s for --%s (an option on the command line wins).",
			envVar(name), name), 0, helpWidth) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// flagNames is "--name VALUE, -n VALUE" (no VALUE for a bool flag).
func flagNames(f cli.Flag) string {
	value := ""
	if df, ok := f.(cli.DocGenerationFlag); ok && df.TakesValue() {
		value = placeholder(f, df.GetUsage())
	}
	var names []string
	for _, n := range f.Names() {
		dash := "--"
		if len(n) == 1 {
			dash = "-"
		}
		names = append(names, strings.TrimSpace(dash+n+" "+value))
	}
	return strings.Join(names, ", ")
}

// placeholder is the name of a flag's value: the `NAME` in its usage, or
// one by its type.
func placeholder(f cli.Flag, usage string) string {
	if name, _ := unquoteUsage(usage); name != "" {
		return name
	}
	switch f.(type) {
	case *cli.StringSliceFlag:
		return "PATH"
	case *cli.IntFlag, *cli.Int64Flag, *cli.Float64Flag:
		return "N"
	case *cli.DurationFlag:
		return "DURATION"
	}
	return "VALUE"
}

// flagUsage is a flag's usage with its default, unless the usage says it
// or it is empty.
func flagUsage(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	_, usage := unquoteUsage(df.GetUsage())
	def := strings.Trim(df.GetDefaultText(), `"`)
	if df.TakesValue() && def != "" && def != "0" && def != "0s" && !strings.Contains(usage, "default") {
		usage += " (default" + glue + def + ")" // kept on one line by wrap
	}
	return usage
}

// unquoteUsage takes the `NAME` out of a usage text, as urfave does.
func unquoteUsage(usage string) (name, text string) {
	i := strings.IndexByte(usage, '`')
	if i < 0 {
		return "", usage
	}
	j := strings.IndexByte(usage[i+1:], '`')
	if j < 0 {
		return "", usage
	}
	name = usage[i+1 : i+1+j]
	return name, usage[:i] + name + usage[i+2+j:]
}

// writeColumns writes left, then text wrapped from column col; when left
// reaches col, text starts on the next line.
func writeColumns(b *strings.Builder, left, text string, col int) {
	lines := wrap(text, col, helpWidth)
	if n := utf8.RuneCountInString(left); n+2 <= col && len(lines) > 0 {
		lines[0] = left + strings.Repeat(" ", col-n) + strings.TrimLeft(lines[0], " ")
	} else {
		b.WriteString(left + "\n")
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
}

// glue joins two words that wrap keeps on one line.
const glue = "\x00"

// wrap breaks text into lines of at most width columns, each indented by
// indent spaces (a word longer than a line gets a line of its own).
func wrap(text string, indent, width int) []string {
	pad := strings.Repeat(" ", indent)
	var lines []string
	line := ""
	defer func() {
		for i := range lines {
			lines[i] = strings.ReplaceAll(lines[i], glue, " ")
		}
	}()
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case indent+utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= width:
			line += " " + w
		default:
			lines = append(lines, pad+line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, pad+line)
	}
	return lines
}

// templateText makes text safe as an urfave help template (which the
// help texts here are, with nothing to fill in).
func templateText(text string) string {
	return strings.ReplaceAll(text, "{{", "{{`{{`}}")
}

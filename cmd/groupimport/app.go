package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/groupimport/groupimport/internal/suggest"
	"github.com/groupimport/groupimport/runner"
)

// Version is the program's version, written into context.library.version.
var Version = "0.1.0"

const exitHelp = `EXIT STATUS:
   0  every row was delivered
   1  failure: nothing, or not everything, was delivered (a file could not be read,
      the destination failed, the run was interrupted or hit --max-rejects, the
      state file is damaged, deletes of missing keys were refused or withheld)
   2  bad usage or configuration (flags, mapping file, a mapped column missing)
   3  finished, but some rows were rejected (see the rejects file)
   4  nothing done: another run holds the state's lock, or that of the same --out
      directory (skip, do not alert)
`

// exitError carries an exit code out of an action.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func exitWith(code int, err error) error {
	if code == 0 && err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// App returns the command-line application. Tests run it in-process with
// their own writers.
func App(stdout, stderr io.Writer) *cli.App {
	return newApp(stdout, stderr, actions{run: execRun, inspect: execInspect, init: execInit})
}

// actions carry out the commands once the command line is read into their
// settings (tests replace them, to see the settings).
type actions struct {
	run     func(c *cli.Context, v invocation) error
	inspect func(c *cli.Context, o runner.InspectOptions) error
	init    func(c *cli.Context, o runner.InitOptions) error
}

// newApp builds the application: each command's flags come from its table
// (flags.go), and its action reads the command line into settings (build*,
// which reads nothing else) and hands them to act.
func newApp(stdout, stderr io.Writer, act actions) *cli.App {
	runOpts, validateOpts, inspectOpts, initOpts := runOptions(), validateOptions(), inspectOptions(), initOptions()
	runLike := func(command string, opts []option[invocation]) cli.ActionFunc {
		return func(c *cli.Context) error {
			v, err := buildRun(c, command, opts, stdout, stderr)
			if err != nil {
				return exitWith(runner.ExitUsage, err)
			}
			return act.run(c, v)
		}
	}
	app := &cli.App{
		Name:                      "groupimport",
		Usage:                     "turn company and membership exports into Customer.io / Segment group calls",
		Version:                   Version,
		HideVersion:               true, // --version is the app's own flag: it says more (versionInfo)
		Writer:                    stdout,
		ErrWriter:                 stderr,
		DisableSliceFlagSeparator: true,
		EnableBashCompletion:      true,
		ExitErrHandler:            func(*cli.Context, error) {},
		OnUsageError:              usageError,
		Flags:                     []cli.Flag{&cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print the version"}},
		Action: func(c *cli.Context) error {
			switch {
			case c.Bool("version"):
				fmt.Fprint(stdout, versionInfo())
				return nil
			case c.NArg() > 0:
				return exitWith(runner.ExitUsage, unknownCommand(c.App, c.Args().First()))
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			{
				Name: "run", Usage: "read, map, validate and deliver",
				ArgsUsage: "[FILE...] (with only one of --companies/--memberships: more files of that kind)",
				Flags:     flagsOf(runOpts), Action: runLike("run", runOpts), OnUsageError: usageError,
			},
			{
				Name: "validate", Usage: "read, map and validate everything; send and write nothing but the report",
				ArgsUsage: "[FILE...]",
				Flags:     flagsOf(validateOpts), Action: runLike("validate", validateOpts), OnUsageError: usageError,
			},
			{
				Name: "inspect", Usage: "show a file's format, columns, row count, sample rows and the mapping it would get",
				ArgsUsage: "PATH...", Flags: flagsOf(inspectOpts), OnUsageError: usageError,
				Action: func(c *cli.Context) error {
					o, err := buildInspect(c, inspectOpts, stdout)
					if err != nil {
						return exitWith(runner.ExitUsage, err)
					}
					return act.inspect(c, o)
				},
			},
			{
				Name: "init", Usage: "write the mapping groupimport would infer, as a YAML file to edit",
				ArgsUsage: "PATH... (the kind of each is guessed; or use --companies/--memberships)",
				Flags:     flagsOf(initOpts), OnUsageError: usageError,
				Action: func(c *cli.Context) error {
					return act.init(c, buildInit(c, initOpts, stdout))
				},
			},
			{
				Name: "version", Usage: "print the version, the commit it was built from and the Go version",
				Action: func(*cli.Context) error { fmt.Fprint(stdout, versionInfo()); return nil },
			},
			completionCommand(stdout),
			{
				// a help topic (groupimport help mapping), not a command
				Name: "mapping", Usage: "the mapping file: keys, types, examples", Hidden: true,
				CustomHelpTemplate: templateText(mappingHelp),
				Action:             func(*cli.Context) error { fmt.Fprint(stdout, mappingHelp); return nil },
			},
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = usageError
		if cmd.CustomHelpTemplate == "" {
			cmd.CustomHelpTemplate = templateText(commandHelp(cmd))
		}
	}
	app.CustomAppHelpTemplate = templateText(appHelp(app))
	return app
}

// usageError is a flag the command line could not read: exit 2, with the
// flag of the command nearest to an unknown one.
func usageError(c *cli.Context, err error, _ bool) error {
	const undefined = "flag provided but not defined: -"
	msg := err.Error()
	if i := strings.Index(msg, undefined); i >= 0 && c != nil && c.Command != nil {
		name := strings.TrimLeft(msg[i+len(undefined):], "-")
		var known []string
		for _, f := range c.Command.Flags {
			known = append(known, f.Names()...)
		}
		if c.Command.Name == "" || c.Command.Name == c.App.Name {
			for _, f := range c.App.Flags {
				known = append(known, f.Names()...)
			}
		}
		if s := suggest.Closest(name, known); s != "" {
			err = fmt.Errorf("%w (did you mean --%s?)", err, s)
		}
	}
	return exitWith(runner.ExitUsage, err)
}

// unknownCommand is the error of a command that does not exist, naming
// the nearest one that does.
func unknownCommand(app *cli.App, name string) error {
	var known []string
	for _, c := range app.Commands {
		if !c.Hidden {
			known = append(known, c.Name)
		}
	}
	msg := fmt.Sprintf("unknown command %q: groupimport %s", name, strings.Join(known, ", groupimport "))
	if s := suggest.Closest(name, known); s != "" {
		msg = fmt.Sprintf("unknown command %q (did you mean %q?)", name, s)
	}
	return errors.New(msg)
}

// buildRun reads the command line of run or validate into an invocation:
// the flags through their table, then the checks that span flags, and the
// loose file names. It reads nothing but c; its errors are usage errors.
func buildRun(c *cli.Context, command string, opts []option[invocation], stdout, stderr io.Writer) (invocation, error) {
	v := invocation{Options: runner.Options{Command: command, Version: Version, Stdout: stdout, Stderr: stderr}}
	if err := apply(c, opts, &v); err != nil {
		return v, err
	}
	if err := checkRanges(&v.Options, command); err != nil {
		return v, err
	}
	switch v.LogFormat {
	case "text", "json":
	default:
		return v, fmt.Errorf("--log-format must be text or json")
	}
	// Loose file names: a shell glob (--companies data/*.csv) expands into
	// several words, and all but the first arrive here.
	if args := c.Args().Slice(); len(args) > 0 {
		switch {
		case len(v.Companies) > 0 && len(v.Memberships) == 0:
			v.Companies = append(v.Companies, args...)
		case len(v.Memberships) > 0 && len(v.Companies) == 0:
			v.Memberships = append(v.Memberships, args...)
		default:
			return v, fmt.Errorf("unexpected arguments %q: name each input with --companies or --memberships (quote globs: --companies 'data/*.csv')", args)
		}
	}
	return v, nil
}

// buildInspect reads the command line of inspect.
func buildInspect(c *cli.Context, opts []option[runner.InspectOptions], stdout io.Writer) (runner.InspectOptions, error) {
	o := runner.InspectOptions{Paths: c.Args().Slice(), Stdout: stdout}
	if c.NArg() == 0 {
		return o, errors.New("inspect needs a PATH")
	}
	return o, apply(c, opts, &o)
}

// buildInit reads the command line of init.
func buildInit(c *cli.Context, opts []option[runner.InitOptions], stdout io.Writer) runner.InitOptions {
	o := runner.InitOptions{Paths: c.Args().Slice(), Stdout: stdout}
	apply(c, opts, &o) // no flag of init can fail
	return o
}

// execRun carries out run or validate.
func execRun(c *cli.Context, v invocation) error {
	if v.cpuProfile != "" {
		f, err := os.Create(v.cpuProfile)
		if err != nil {
			return exitWith(runner.ExitUsage, err)
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	return exitWith(runner.Run(c.Context, v.Options), nil)
}

func execInspect(c *cli.Context, o runner.InspectOptions) error {
	return exitWith(runner.Inspect(o))
}

func execInit(c *cli.Context, o runner.InitOptions) error {
	return exitWith(runner.Init(o))
}

// reorderArgs moves a subcommand's flags before its file arguments, so
// that `init a.csv b.csv --output m.yaml` and `run --companies data/*.csv
// --out DIR` (a glob the shell expanded) mean what they say: urfave/cli,
// like Go's flag package, stops reading flags at the first file name.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 3 || args[len(args)-1] == "--generate-bash-completion" {
		return args // (shell completion wants its flag last)
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, files []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			files = append(files, rest[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(rest) {
				flags = append(flags, rest[i+1])
				i++
			}
			continue
		}
		files = append(files, a)
	}
	out := append([]string{args[0], args[1]}, flags...)
	if len(files) > 0 {
		out = append(append(out, "--"), files...)
	}
	return out
}

// run runs the app and returns the exit code. An error the command line
// reports itself (a flag it cannot read) is a JSON record when the
// command line asks for JSON logs.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := App(stdout, stderr)
	err := app.RunContext(ctx, reorderArgs(app, args))
	if err == nil {
		return 0
	}
	code := runner.ExitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code, err = ee.code, ee.err
	}
	if err != nil {
		runner.LogFailure(stderr, logFormat(args), err, code)
	}
	return code
}

// logFormat is the --log-format of a command line (or
// $GROUPIMPORT_LOG_FORMAT), read without the app: for errors the app
// could not get past.
func logFormat(args []string) string {
	format := os.Getenv(envVar("log-format"))
	for i, a := range args {
		switch {
		case a == "--":
			return format
		case a == "--log-format" || a == "-log-format":
			if i+1 < len(args) {
				format = args[i+1]
			}
		case strings.HasPrefix(a, "--log-format=") || strings.HasPrefix(a, "-log-format="):
			format = a[strings.IndexByte(a, '=')+1:]
		}
	}
	return format
}

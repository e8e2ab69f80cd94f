package runner

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/transform"
)

// InitOptions configure init.
type InitOptions struct {
	Companies, Memberships, Paths []string
	Output                        string // "" or "-" for standard output
	Force                         bool
	Format, Encoding, Delim       string
	Stdout                        io.Writer
}

// Init writes the mapping that run would infer, in full, for a person to
// edit.
func Init(o InitOptions) (int, error) {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	streams := importer.NewStreams("")
	defer streams.Close()
	ro, err := reading{Format: o.Format, Encoding: o.Encoding, Delimiter: o.Delim}.options(nil, streams)
	if err != nil {
		return ExitUsage, err
	}
	byKind, err := initKinds(o, ro)
	if err != nil {
		return ExitCode(err), err
	}
	m := &transform.Mapping{}
	for _, kind := range []transform.Kind{transform.Companies, transform.Memberships} {
		if len(byKind[kind]) == 0 {
			continue
		}
		full, err := initMapping(kind, byKind[kind], ro)
		if err != nil {
			return ExitCode(err), err
		}
		if kind == transform.Companies {
			m.Companies = full
		} else {
			m.Memberships = full
		}
	}
	return writeMapping(o, m.String())
}

// initKinds sorts init's inputs by kind: --companies, --memberships, and
// each loose path by the columns of its first file.
func initKinds(o InitOptions, ro importer.Options) (map[transform.Kind][]string, error) {
	byKind := map[transform.Kind][]string{transform.Companies: o.Companies, transform.Memberships: o.Memberships}
	for _, p := range o.Paths {
		files, err := importer.Expand([]string{p})
		if err != nil {
			return nil, &UsageError{Msg: err.Error()}
		}
		cols, _, err := readSample(files[0], ro, 1)
		if err != nil {
			return nil, err
		}
		k := GuessKind(cols)
		byKind[k] = append(byKind[k], p)
	}
	if len(byKind[transform.Companies])+len(byKind[transform.Memberships]) == 0 {
		return nil, usagef("init needs input files: groupimport init companies.csv [memberships.csv]")
	}
	return byKind, nil
}

// initMapping infers a kind's mapping, in full, from its first file.
func initMapping(kind transform.Kind, patterns []string, ro importer.Options) (*transform.KindMapping, error) {
	files, err := importer.Expand(patterns)
	if err != nil {
		return nil, &UsageError{Msg: err.Error()}
	}
	cols, sample, err := readSample(files[0], ro, 1000)
	if err != nil {
		return nil, err
	}
	km, err := transform.Infer(kind, nil, cols, sample)
	if err != nil {
		return nil, err
	}
	full, err := transform.ForInit(kind, km, cols)
	if err != nil {
		return nil, err
	}
	full.Notes = append([]string{fmt.Sprintf("inferred from %s by groupimport init; edit freely", files[0])}, full.Notes...)
	return full, nil
}

// writeMapping writes the mapping's text to --output (not over a file
// without --force) or standard output.
func writeMapping(o InitOptions, text string) (int, error) {
	if o.Output == "" || o.Output == "-" {
		_, err := io.WriteString(o.Stdout, text)
		return ExitOK, err
	}
	if _, err := os.Stat(o.Output); err == nil && !o.Force {
		return ExitUsage, usagef("%s exists; pass --force to replace it", o.Output)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return ExitFailure, err
	}
	if err := os.WriteFile(o.Output, []byte(text), 0o644); err != nil {
		return ExitFailure, err
	}
	return ExitOK, nil
}

package features

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/cucumber/godog"
)

// outputs are where a run's reports go: godog writes its own, the suite
// the JUnit one (junit.go).
type outputs struct {
	// godog is godog's Format, written to godogOutput when without a file.
	godog       string
	godogOutput io.Writer
	// junit gets the JUnit report, nil for none; file is the file it
	// opened.
	junit io.Writer
	file  *os.File
	// machineOnStdout is a junit or cucumber report on Stdout, which the
	// summary must not interleave.
	machineOnStdout bool
}

// openFormats checks the reports asked for ("name" or "name:FILE") and
// opens the JUnit one's file, so that a path that cannot be written is
// bad setup, not a lost report.
func openFormats(formats []string, stdout io.Writer) (*outputs, error) {
	o := &outputs{godogOutput: stdout}
	var godogFormats []string
	for _, f := range formats {
		name, file, hasFile := strings.Cut(f, ":")
		if _, ok := godog.AvailableFormatters()[name]; !ok {
			o.close()
			return nil, fmt.Errorf("--format %q: no such report (%s)", f, strings.Join(slices.Sorted(maps.Keys(godog.AvailableFormatters())), ", "))
		}
		if hasFile && file == "" {
			o.close()
			return nil, fmt.Errorf("--format %q names no file", f)
		}
		if (name == "junit" || name == "cucumber") && !hasFile {
			o.machineOnStdout = true
		}
		if name != "junit" {
			godogFormats = append(godogFormats, f)
			continue
		}
		if o.junit != nil {
			o.close()
			return nil, errors.New("--format junit is given twice")
		}
		o.junit = stdout
		if hasFile {
			fh, err := os.Create(file)
			if err != nil {
				o.close()
				return nil, fmt.Errorf("--format %q: %w", f, err)
			}
			o.junit, o.file = fh, fh
		}
	}
	if len(godogFormats) == 0 {
		// godog wants one: a progress report no one reads.
		godogFormats, o.godogOutput = []string{"progress"}, io.Discard
	}
	o.godog = strings.Join(godogFormats, ",")
	return o, nil
}

// writeJUnit writes the JUnit report, if one was asked for.
func (o *outputs) writeJUnit(r *report) error {
	if o.junit == nil {
		return nil
	}
	names, err := featureNames()
	if err != nil {
		return err
	}
	if err := r.writeJUnit(o.junit, "tssim contract", names); err != nil {
		return err
	}
	if o.file != nil {
		err, o.file = o.file.Close(), nil
	}
	return err
}

func (o *outputs) close() {
	if o.file != nil {
		_ = o.file.Close()
	}
}

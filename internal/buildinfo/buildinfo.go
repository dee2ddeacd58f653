// Package buildinfo says which build of tssim a binary is: its version,
// the commit it was built from and the Go that built it, for the
// `version` command of tssim and tsclient.
//
// make dist and make build stamp the version and the commit with the
// linker:
//
//	-X github.com/tssim/tssim/internal/buildinfo.version=v1.2.3
//	-X github.com/tssim/tssim/internal/buildinfo.commit=<40 hex digits>
//
// A binary built otherwise (go install, go build, go run) says what the Go
// toolchain recorded in it: the module's version when go install fetched a
// tagged one, else "devel", and the commit when the toolchain stamped it
// (-buildvcs).
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the linker (-X); empty in a binary built without make.
var (
	version string
	commit  string
)

// Devel is the version of a binary built from a work tree rather than from
// a release or a tagged module version.
const Devel = "devel"

// Info is what a binary knows of its own build.
type Info struct {
	// Version is the release (v1.2.3, or git describe's v1.2.3-4-gabcdef0),
	// the module version go install fetched, or Devel.
	Version string
	// Commit is the full hash of the commit built, "" when unknown.
	Commit string
	// Modified says the work tree had changes the commit does not hold
	// (known only from the toolchain's stamp; a -dirty version says the
	// same of a make build).
	Modified bool
	// GoVersion is the Go release that built the binary (go1.26.8).
	GoVersion string
	// Platform is GOOS/GOARCH (linux/amd64).
	Platform string
}

// Read returns this binary's Info.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return read(version, commit, bi)
}

// read merges the linker's values, which win, with the toolchain's record
// bi (nil when the binary has none).
func read(version, commit string, bi *debug.BuildInfo) Info {
	i := Info{Version: version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && i.Commit == "":
				i.Commit = s.Value
			case s.Key == "vcs.modified" && commit == "":
				i.Modified = s.Value == "true"
			}
		}
		if bi.GoVersion != "" {
			i.GoVersion = bi.GoVersion
		}
	}
	if i.Version == "" {
		i.Version = Devel
	}
	return i
}

// Line is the one line `NAME version` prints:
//
//	tssim v1.2.3 commit 0123abcd… go1.26.8 linux/amd64
//
// with "commit unknown" when no commit was recorded, and "(modified)"
// after a commit the work tree had changed.
func (i Info) Line(name string) string {
	c := i.Commit
	if c == "" {
		c = "unknown"
	}
	if i.Modified {
		c += " (modified)"
	}
	return fmt.Sprintf("%s %s commit %s %s %s", name, i.Version, c, i.GoVersion, i.Platform)
}

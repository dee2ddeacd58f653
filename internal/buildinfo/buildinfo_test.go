package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	const rev = "1532314f3e845398dd02aa000640795b5a2fe46d"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            Info
	}{
		{
			name:    "make dist: the linker's values win over the toolchain's",
			version: "v1.2.3", commit: "abc",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-x"}, Settings: vcs("true")},
			want: Info{Version: "v1.2.3", Commit: "abc", GoVersion: "go1.26.8"},
		},
		{
			name: "go install of a tagged version",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			want: Info{Version: "v1.2.3", GoVersion: "go1.26.8"},
		},
		{
			name: "go build in a changed work tree, stamped by the toolchain",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")},
			want: Info{Version: Devel, Commit: rev, Modified: true, GoVersion: "go1.26.8"},
		},
		{
			name: "go run with -buildvcs=false: nothing but devel",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			want: Info{Version: Devel, GoVersion: "go1.26.8"},
		},
		{
			name:    "a version stamped without a commit takes the toolchain's",
			version: "v1.2.3",
			bi:      &debug.BuildInfo{GoVersion: "go1.26.8", Settings: vcs("false")},
			want:    Info{Version: "v1.2.3", Commit: rev, GoVersion: "go1.26.8"},
		},
		{
			name: "no build information at all",
			want: Info{Version: Devel, GoVersion: runtime.Version()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.Platform = runtime.GOOS + "/" + runtime.GOARCH
			if got := read(tt.version, tt.commit, tt.bi); got != tt.want {
				t.Errorf("read = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	i := Info{Version: "v1.2.3", Commit: "abc", GoVersion: "go1.26.8", Platform: "linux/arm64"}
	if got, want := i.Line("tssim"), "tssim v1.2.3 commit abc go1.26.8 linux/arm64"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	i.Modified = true
	if got := i.Line("tssim"); !strings.Contains(got, "commit abc (modified) go1.26.8") {
		t.Errorf("a modified tree's Line = %q, want it to say (modified) after the commit", got)
	}
	if got := (Info{Version: Devel, GoVersion: "go1.26.8", Platform: "linux/amd64"}).Line("tsclient"); got != "tsclient devel commit unknown go1.26.8 linux/amd64" {
		t.Errorf("Line without a commit = %q", got)
	}
}

// This test binary was built by go test, with neither -X nor a release
// version: it must say devel and the Go that built it.
func TestReadOfThisBinary(t *testing.T) {
	i := Read()
	if i.Version != Devel || i.GoVersion != runtime.Version() {
		t.Errorf("Read() = %+v, want version %q and Go %q", i, Devel, runtime.Version())
	}
}

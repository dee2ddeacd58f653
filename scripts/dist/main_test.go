package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRelease builds this machine's platform as make dist does and checks
// what a user downloads: the archive's files, the sums, and binaries that
// say the version and the commit the linker was given.
func TestRelease(t *testing.T) {
	out := t.TempDir()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	const commit = "0123456789abcdef0123456789abcdef01234567"
	ldflags := "-s -w -X github.com/tssim/tssim/internal/buildinfo.version=v9.8.7 -X github.com/tssim/tssim/internal/buildinfo.commit=" + commit
	c, err := parse([]string{"-version", "v9.8.7", "-ldflags", ldflags, "-src", "../..", "-out", out, "-platforms", platform},
		func(k string) string { return map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	// A file of an earlier release, which SHA256SUMS must not outlive.
	if err := os.WriteFile(filepath.Join(out, "tssim_v0.0.1_linux_amd64.tar.gz"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := c.run(&stdout); err != nil {
		t.Fatal(err)
	}

	name := "tssim_v9.8.7_" + strings.ReplaceAll(platform, "/", "_")
	archive := name + ".tar.gz"
	if runtime.GOOS == "windows" {
		archive = name + ".zip"
	}
	got, err := filepath.Glob(filepath.Join(out, "*"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(out, "SHA256SUMS"), filepath.Join(out, name), filepath.Join(out, archive)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("dist holds %v, want %v", got, want)
	}

	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, archive))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%x  %s\n", sha256.Sum256(data), archive); string(sums) != want {
		t.Errorf("SHA256SUMS = %q, want %q", sums, want)
	}

	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	wantFiles := []string{"ADAPTER.md", "README.md", "adapters/python/tsclient_adapter.py", "tsclient" + exe, "tssim" + exe}
	if runtime.GOOS == "linux" {
		wantFiles = append(wantFiles, "Dockerfile")
	}
	entries := archiveEntries(t, filepath.Join(out, archive))
	for _, f := range wantFiles {
		e, ok := entries[name+"/"+f]
		if !ok {
			t.Errorf("%s has no %s/%s; it has %v", archive, name, f, mapsKeys(entries))
			continue
		}
		if !e.modTime.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("%s is dated %v, not SOURCE_DATE_EPOCH", f, e.modTime)
		}
		executable := f == "tssim"+exe || f == "tsclient"+exe || strings.HasSuffix(f, ".py")
		if wantMode := map[bool]fs.FileMode{true: 0o755, false: 0o644}[executable]; e.mode != wantMode {
			t.Errorf("%s has mode %v, want %v", f, e.mode, wantMode)
		}
	}

	for cmd, arg := range map[string]string{"tssim": "version", "tsclient": "--version"} {
		said, err := exec.Command(filepath.Join(out, name, cmd+exe), arg).Output()
		if err != nil {
			t.Fatalf("%s %s: %v", cmd, arg, err)
		}
		if want := cmd + " v9.8.7 commit " + commit + " " + runtime.Version() + " " + platform + "\n"; string(said) != want {
			t.Errorf("%s version = %q, want %q", cmd, said, want)
		}
	}
}

// archived is what an archive says of one entry.
type archived struct {
	mode    fs.FileMode
	modTime time.Time
	data    []byte
}

// archiveEntries reads a .tar.gz or a .zip.
func archiveEntries(t *testing.T, file string) map[string]archived {
	t.Helper()
	m := map[string]archived{}
	if strings.HasSuffix(file, ".zip") {
		zr, err := zip.OpenReader(file)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			m[f.Name] = archived{mode: f.Mode().Perm(), modTime: f.Modified, data: data}
		}
		return m
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "root" {
			t.Errorf("%s is owned by %d/%d (%s), not root", h.Name, h.Uid, h.Gid, h.Uname)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		m[h.Name] = archived{mode: fs.FileMode(h.Mode).Perm(), modTime: h.ModTime, data: data}
	}
}

func mapsKeys(m map[string]archived) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestArchivesAreReproducible packs one folder twice, as tar.gz and as
// zip: the same bytes each time, every file and folder in it, with its
// content.
func TestArchivesAreReproducible(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tssim_v1_os_arch")
	files := map[string]string{"tssim": "binary", "README.md": "readme", "adapters/python/a.py": "print()"}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		mode := fs.FileMode(0o600)
		if name == "tssim" {
			mode = 0o700
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	c := &config{modTime: time.Unix(1700000000, 0).UTC()}
	for _, format := range []struct {
		ext   string
		write func(io.Writer, string) error
	}{{".tar.gz", c.writeTarGz}, {".zip", c.writeZip}} {
		var first []byte
		for i := range 2 {
			var b bytes.Buffer
			if err := format.write(&b, dir); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = b.Bytes()
				continue
			}
			if !bytes.Equal(first, b.Bytes()) {
				t.Errorf("%s: two packs of the same folder differ", format.ext)
			}
		}
		file := filepath.Join(t.TempDir(), "a"+format.ext)
		if err := os.WriteFile(file, first, 0o644); err != nil {
			t.Fatal(err)
		}
		entries := archiveEntries(t, file)
		for name, content := range files {
			e, ok := entries["tssim_v1_os_arch/"+name]
			wantMode := fs.FileMode(0o644)
			if name == "tssim" {
				wantMode = 0o755
			}
			if !ok || string(e.data) != content || e.mode != wantMode {
				t.Errorf("%s: %s is %+v, want %q with mode %v", format.ext, name, e, content, wantMode)
			}
		}
		for _, d := range []string{"tssim_v1_os_arch/", "tssim_v1_os_arch/adapters/", "tssim_v1_os_arch/adapters/python/"} {
			if e, ok := entries[d]; !ok || e.mode != 0o755 {
				t.Errorf("%s: folder %s is %+v, want it with mode 0755", format.ext, d, e)
			}
		}
	}
}

func TestParseRefusals(t *testing.T) {
	none := func(string) string { return "" }
	for _, tt := range []struct {
		args   []string
		getenv func(string) string
		want   string
	}{
		{nil, none, "-version"},
		{[]string{"-version", "v1/2"}, none, "without slashes"},
		{[]string{"-version", "v1", "-platforms", "linux"}, none, `"linux" is not GOOS/GOARCH`},
		{[]string{"-version", "v1"}, func(string) string { return "yesterday" }, "SOURCE_DATE_EPOCH=yesterday"},
	} {
		if _, err := parse(tt.args, tt.getenv); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parse(%q) = %v, want an error saying %q", tt.args, err, tt.want)
		}
	}
}

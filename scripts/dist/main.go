// Command dist builds tssim's release files; make dist and make docker run
// it.
//
//	go run ./scripts/dist -version v1.2.3 -ldflags '-s -w -X ...' [-out dist]
//	    [-platforms linux/amd64,...] [-archives=false]
//
// For each platform it builds tssim and tsclient (CGO_ENABLED=0,
// -trimpath: static, and the same bytes wherever they are built) into the
// folder OUT/tssim_VERSION_OS_ARCH with what a user without the
// repository needs beside them: README.md, ADAPTER.md and the adapters
// it points to, and, for linux, the Dockerfile that makes the image from
// that folder alone. With -archives (the default) it packs each folder
// into OUT/tssim_VERSION_OS_ARCH.tar.gz (.zip for windows), and writes
// OUT/SHA256SUMS, in the form `sha256sum -c` reads, after removing the
// files of earlier runs.
//
// Archives are reproducible: entries in name order, owned by root, dated
// $SOURCE_DATE_EPOCH (make dist sets it to the commit's time), gzip without
// a name or a time.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Platforms is every platform a release has a build for.
const Platforms = "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64,windows/arm64"

// docs are the files copied into every folder, as source path → name in
// the folder; a directory is copied whole.
var docs = [][2]string{
	{"README.md", "README.md"},
	{"features/ADAPTER.md", "ADAPTER.md"},
	{"features/adapters", "adapters"},
}

// config is the command line.
type config struct {
	version   string
	ldflags   string
	src       string
	out       string
	platforms []string
	archives  bool
	// modTime dates every archive entry.
	modTime time.Time
}

func main() {
	c, err := parse(os.Args[1:], os.Getenv)
	if err == nil {
		err = c.run(os.Stdout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "dist: %v\n", err)
		os.Exit(1)
	}
}

func parse(args []string, getenv func(string) string) (*config, error) {
	fs := flag.NewFlagSet("dist", flag.ContinueOnError)
	c := &config{}
	fs.StringVar(&c.version, "version", "", "the release's version, in every file name (required)")
	fs.StringVar(&c.ldflags, "ldflags", "-s -w", "go build's -ldflags (make passes the -X of internal/buildinfo)")
	fs.StringVar(&c.src, "src", ".", "the repository's root")
	fs.StringVar(&c.out, "out", "dist", "the folder to write into")
	platforms := fs.String("platforms", Platforms, "comma-separated GOOS/GOARCH list")
	fs.BoolVar(&c.archives, "archives", true, "pack the folders into archives and write SHA256SUMS")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.version == "" || strings.ContainsAny(c.version, "/\\ ") {
		return nil, fmt.Errorf("-version %q: give a version without slashes or spaces, such as v1.2.3", c.version)
	}
	for p := range strings.SplitSeq(*platforms, ",") {
		if goos, goarch, ok := strings.Cut(p, "/"); !ok || goos == "" || goarch == "" {
			return nil, fmt.Errorf("-platforms: %q is not GOOS/GOARCH", p)
		}
		c.platforms = append(c.platforms, p)
	}
	c.modTime = time.Now().UTC().Truncate(time.Second)
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%s: not seconds since 1970", s)
		}
		c.modTime = time.Unix(sec, 0).UTC()
	}
	return c, nil
}

// name is the folder (and archive, less its extension) of a platform.
func (c *config) name(platform string) string {
	return "tssim_" + c.version + "_" + strings.ReplaceAll(platform, "/", "_")
}

func (c *config) run(stdout io.Writer) error {
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	if c.archives {
		if err := c.clean(); err != nil {
			return err
		}
	}
	var archives []string
	for _, p := range c.platforms {
		dir := filepath.Join(c.out, c.name(p))
		if err := c.stage(p, dir); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		fmt.Fprintln(stdout, dir)
		if !c.archives {
			continue
		}
		archive, err := c.pack(p, dir)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		archives = append(archives, archive)
		fmt.Fprintln(stdout, filepath.Join(c.out, archive))
	}
	if !c.archives {
		return nil
	}
	sums, err := sha256sums(c.out, archives)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, filepath.Join(c.out, "SHA256SUMS"))
	return os.WriteFile(filepath.Join(c.out, "SHA256SUMS"), sums, 0o644)
}

// clean removes what an earlier run wrote, so that SHA256SUMS and the
// folder hold the same release.
func (c *config) clean() error {
	old, err := filepath.Glob(filepath.Join(c.out, "tssim_*"))
	if err != nil {
		return err
	}
	for _, f := range append(old, filepath.Join(c.out, "SHA256SUMS")) {
		if err := os.RemoveAll(f); err != nil {
			return err
		}
	}
	return nil
}

// stage builds a platform's binaries into dir and copies the documents
// beside them.
func (c *config) stage(platform, dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	goos, goarch, _ := strings.Cut(platform, "/")
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	build := exec.Command("go", "build", "-trimpath", "-ldflags", c.ldflags, "-o", abs+string(filepath.Separator), "./cmd/tssim", "./cmd/tsclient")
	build.Dir = c.src
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	files := docs
	if goos == "linux" {
		files = append(files, [2]string{"Dockerfile", "Dockerfile"})
	}
	for _, f := range files {
		if err := copyDoc(filepath.Join(c.src, f[0]), filepath.Join(dir, f[1])); err != nil {
			return fmt.Errorf("copying %s: %w", f[0], err)
		}
	}
	return nil
}

// copyDoc copies a file, or a folder with all it holds, keeping the
// executable bits.
func copyDoc(src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return os.CopyFS(dst, os.DirFS(src))
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, info.Mode().Perm())
}

// pack writes the archive of dir, with its entries under the folder's
// name, and returns the archive's file name.
func (c *config) pack(platform, dir string) (name string, err error) {
	zipped := strings.HasPrefix(platform, "windows/")
	name = c.name(platform) + ".tar.gz"
	if zipped {
		name = c.name(platform) + ".zip"
	}
	f, err := os.Create(filepath.Join(c.out, name))
	if err != nil {
		return "", err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if zipped {
		return name, c.writeZip(f, dir)
	}
	return name, c.writeTarGz(f, dir)
}

// entry is one file or folder of an archive.
type entry struct {
	name string // slash-separated, under the folder's name
	path string // on disk
	info fs.FileInfo
}

// entries lists dir's files and folders, dir's own name first, in name
// order, with modes reduced to 0755 (executables and folders) and 0644.
func entries(dir string) ([]entry, error) {
	var list []entry
	root := filepath.Base(dir)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		list = append(list, entry{name: path.Join(root, filepath.ToSlash(rel)), path: p, info: info})
		return nil
	})
	return list, err
}

// mode is the permission an entry is archived with.
func (e entry) mode() fs.FileMode {
	if e.info.IsDir() || e.info.Mode()&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

func (c *config) writeTarGz(w io.Writer, dir string) error {
	list, err := entries(dir)
	if err != nil {
		return err
	}
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, e := range list {
		h := &tar.Header{Name: e.name, Mode: int64(e.mode()), ModTime: c.modTime, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		if e.info.IsDir() {
			h.Typeflag, h.Name = tar.TypeDir, e.name+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, e.info.Size()
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if err := copyFile(tw, e); err != nil {
			return err
		}
	}
	return errors.Join(tw.Close(), gz.Close())
}

func (c *config) writeZip(w io.Writer, dir string) error {
	list, err := entries(dir)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, e := range list {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: c.modTime}
		if e.info.IsDir() {
			h.Name, h.Method = e.name+"/", zip.Store
			h.SetMode(fs.ModeDir | e.mode())
		} else {
			h.SetMode(e.mode())
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if err := copyFile(fw, e); err != nil {
			return err
		}
	}
	return zw.Close()
}

// copyFile writes a file entry's bytes to w; a folder has none.
func copyFile(w io.Writer, e entry) error {
	if e.info.IsDir() {
		return nil
	}
	f, err := os.Open(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// sha256sums is the SHA256SUMS of the named files of dir: one line a file,
// in name order, "<hex>  <name>".
func sha256sums(dir string, names []string) ([]byte, error) {
	names = append([]string(nil), names...)
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%x  %s\n", h.Sum(nil), n)
	}
	return []byte(b.String()), nil
}

package simulator_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/simulator"
)

// smallDisk mounts a tmpfs of size bytes on a temporary folder, as root;
// elsewhere than CI the test is skipped when that is not allowed.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mounting a tmpfs (CI runs as root): %v %s", err, out)
		}
		t.Skipf("the full-disk test mounts a tmpfs, which needs root: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	return dir
}

// fill writes a file until the disk is full, and returns how to free it.
func fill(t *testing.T, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{0xff}, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	return func() {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
}

// serve serves srv until the test ends.
func serve(t *testing.T, srv *simulator.Server) string {
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

func newClient(t *testing.T, base string) *client.Client {
	c, err := client.New(base, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"), client.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Nothing answered 200 is lost on a full disk: each login is a session
// the state file must keep; while the disk is full, logins are answered
// 503 (their sessions kept in memory and saved once space returns), never
// 200 unsaved. Before, 338 of 398 changes answered 200 were gone after a
// restart.
func TestAFullDiskLosesNothingAnswered(t *testing.T) {
	dir := smallDisk(t, "1m")
	path := filepath.Join(dir, "state.db")
	opts := simulator.Options{Clock: "manual", StateFile: path, DurableWait: 200 * time.Millisecond}
	srv, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, srv)
	login := func() (string, error) {
		c := newClient(t, base)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return c.Login(ctx)
	}
	var answered []string
	for range 20 {
		tok, err := login()
		if err != nil {
			t.Fatalf("before the disk filled: %v", err)
		}
		answered = append(answered, tok)
	}
	free := fill(t, dir)
	refused := 0
	for range 300 {
		tok, err := login()
		var apiErr *client.Error
		switch {
		case err == nil:
			answered = append(answered, tok)
		case errors.As(err, &apiErr) && apiErr.StatusCode == 503:
			refused++
		default:
			t.Fatalf("on a full disk: %v", err)
		}
		if refused == 3 {
			break
		}
	}
	if refused == 0 {
		t.Fatal("300 logins on a full disk were all answered 200: the disk never filled")
	}
	free()
	if _, err := login(); err != nil {
		t.Fatalf("once space returned: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = again.Close(context.Background()) })
	base = serve(t, again)
	bearer, err := newClient(t, base).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for _, tok := range answered {
		req, _ := http.NewRequest("GET", base+"/api/m2m/v1/callbacks/"+account, nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("VZ-M2M-Token", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d sessions answered 200 were lost", lost, len(answered))
	}
	t.Logf("%d logins answered 200 and kept, %d answered 503 while the disk was full", len(answered), refused)
}

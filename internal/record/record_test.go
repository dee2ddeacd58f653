package record_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tssim/tssim/internal/record"
	"github.com/tssim/tssim/internal/record/standin"
)

// readRecording reads a recording, every line held to
// schemas/recording.json.
func readRecording(t *testing.T, path string) *record.Recording {
	t.Helper()
	rec, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// assertNoSecrets greps a recording for every secret used.
func assertNoSecrets(t *testing.T, path string, tokens []string) {
	t.Helper()
	found, err := standin.SecretsIn(path, tokens)
	if err != nil || len(found) > 0 {
		t.Errorf("%s holds secrets: %v %v", path, found, err)
	}
}

// A whole device life through the recorder: every call and callback is
// recorded in order with its operation, its answer or acknowledgement,
// and the stand-in's time; the client gets every callback; no secret is
// written.
func TestRecordsAWholeLife(t *testing.T) {
	for _, planted := range []bool{false, true} {
		r, err := standin.Record(context.Background(), t.TempDir(), "life.jsonl", planted)
		if err != nil {
			t.Fatal(err)
		}
		rec := readRecording(t, r.Path)
		assertNoSecrets(t, r.Path, r.Tokens)
		if len(r.Tokens) != 3 {
			t.Errorf("tokens: %v", r.Tokens)
		}
		var ops []string
		var callbacks []record.Entry
		for _, e := range rec.Entries {
			if e.Type == record.TypeExchange {
				ops = append(ops, e.Operation)
			} else {
				callbacks = append(callbacks, e)
			}
		}
		want := []string{"token", "token", "login", "login", "callbacks_register", "callbacks_register", "callbacks_list", "devices_list",
			"enable", "enable", "download_enable", "enable", "login", "request_status", "suspend", "restore", "delete", "logout", "callbacks_list"}
		if !slices.Equal(ops, want) {
			t.Errorf("operations:\n got %v\nwant %v", ops, want)
		}
		if len(callbacks) != r.Callbacks || rec.End == nil || rec.End.Callbacks != r.Callbacks || rec.End.Exchanges != len(want) {
			t.Errorf("%d callbacks recorded, the client took %d; end line %+v", len(callbacks), r.Callbacks, rec.End)
		}
		refused := 0
		for _, c := range callbacks {
			if c.Ack == nil || c.Ack.Status == 0 {
				t.Errorf("callback %d without the client's answer: %+v", c.Seq, c.Ack)
				continue
			}
			if c.Ack.Status == http.StatusServiceUnavailable {
				refused++
			}
			if c.Service == "" || c.Account != standin.Account || !strings.Contains(c.ForwardedTo, "redacted-callback-password-2@127.0.0.1") || !strings.Contains(c.ForwardedTo, "sig=redacted-url-secret-1") {
				t.Errorf("callback %d: %s %s to %s", c.Seq, c.Service, c.Account, c.ForwardedTo)
			}
		}
		if refused != 1 {
			t.Errorf("%d callbacks refused by the client, want 1", refused)
		}
		// The stand-in's clock: A's success ten minutes after its request.
		var success time.Duration
		for _, c := range callbacks {
			if strings.Contains(string(c.Request.Body), standin.EIDA) && strings.Contains(string(c.Request.Body), `"status":"Success"`) && c.Service == "DeviceProfileService" {
				success = rec.Offset(&c)
			}
		}
		if success != 10*time.Minute {
			t.Errorf("A's success at +%s, want +10m", success)
		}
		// The listeners the client sees listed are its own, not the
		// recorder's.
		list := rec.Entries[6]
		if !strings.Contains(string(list.Response.Body), "@127.0.0.1") || strings.Contains(string(list.Response.Body), record.CallbackPath) {
			t.Errorf("the listeners listed: %s", list.Response.Body)
		}
	}
}

// What the recorder cannot forward is answered and recorded for what it
// is: an upstream that is down, a callback of a listener the client never
// registered.
func TestRecordsWhatItCannotForward(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	var out bytes.Buffer
	p, err := record.New(record.Options{Upstream: down.URL, PublicURL: "http://127.0.0.1:1"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.Handler())
	resp, err := http.Post(srv.URL+"/api/m2m/v1/session/login", "application/json", strings.NewReader(`{"username":"u","password":"secret-password-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("upstream down: %d", resp.StatusCode)
	}
	resp, err = http.Post(srv.URL+record.CallbackPath+"acct-1/DeviceProfileService", "application/json", strings.NewReader(`{"status":"Success","password":"cb-password-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("no listener: %d", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/_sim/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "secret-password-1") || strings.Contains(out.String(), "cb-password-1") {
		t.Errorf("a secret is written:\n%s", out.String())
	}
	rec, err := record.Read(&out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Entries) != 2 {
		t.Fatalf("entries: %+v", rec.Entries)
	}
	x, c := rec.Entries[0], rec.Entries[1]
	if x.Operation != "login" || x.Error == "" || x.Response != nil {
		t.Errorf("exchange: %+v", x)
	}
	if c.Service != "DeviceProfileService" || c.Account != "acct-1" || c.Ack.Error == "" || c.ForwardedTo != "" {
		t.Errorf("callback: %+v %+v", c, c.Ack)
	}
}

// A recording that breaks its schema is refused, naming the line and the
// place in it.
func TestReadNamesTheBadLine(t *testing.T) {
	header := `{"type":"recording","seq":0,"at":"2026-01-01T00:00:00Z","version":1,"upstream":"http://127.0.0.1:1","clock":"wall"}`
	for _, c := range []struct{ text, want string }{
		{"", "empty"},
		{`{"type":"end","seq":1,"at":"2026-01-01T00:00:00Z","exchanges":0,"callbacks":0}`, "line 1: /type"},
		{header + "\n" + `{"type":"exchange","seq":1,"at":"2026-01-01T00:00:00Z","request":{"method":"GET","path":"/x"}}`, "line 2"},
		{header + "\n" + `{"type":"callback","seq":1,"at":"2026-01-01T00:00:00Z","service":"S","account":"a","request":{"method":"POST","path":"/"},"ack":{"status":700}}`, "line 2: /ack/status"},
		{strings.Replace(header, `"version":1`, `"version":2`, 1), "line 1: /version"},
		{header + "\nnot json", "line 2: not JSON"},
	} {
		_, err := record.Read(strings.NewReader(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
	}
}

// The recording's schema is a schema, and says every field the writer
// writes.
func TestRecordingSchemaNamesEveryField(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "schemas", "recording.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`"version"`, `"upstream"`, `"clock"`, `"operation"`, `"request"`, `"response"`, `"ms"`, `"error"`, `"service"`, `"account"`, `"forwardedTo"`, `"ack"`, `"exchanges"`, `"callbacks"`, `"omitted"`, `"query"`, `"headers"`, `"text"`} {
		if !bytes.Contains(b, []byte(f)) {
			t.Errorf("schemas/recording.json does not say %s", f)
		}
	}
}

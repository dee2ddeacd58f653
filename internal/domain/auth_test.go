package domain

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// strictWorld is a Sim with ThingSpace's auth rules on a manual clock: one
// app client, a user on account "acct", another account "other".
func strictWorld(t *testing.T) (*Sim, *clock.Manual) {
	t.Helper()
	c := clock.NewManual()
	f := &Fixtures{
		Clients:  []AppClient{{AppKey: "key", AppSecret: "secret"}},
		Users:    []User{{Username: "u", Password: "p", Accounts: []string{"acct"}}},
		Accounts: []Account{{Name: "acct"}, {Name: "other"}},
	}
	sim, err := New(Config{Clock: c, Fixtures: f, Registry: NewRegistry("http://127.0.0.1:1/fallback"),
		Scenarios: map[string]*Scenario{"now": {Name: "now"}}, DefaultScenario: "now"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim, c
}

// codeOf is the ThingSpace code of err, "" for none.
func codeOf(err error) string {
	var e *tserr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestTokensAndSessionsOnTheClock(t *testing.T) {
	sim, c := strictWorld(t)
	tok, expires, err := sim.IssueToken("key", "secret")
	if err != nil || expires != 3600 {
		t.Fatalf("token %q, expires in %d, %v", tok, expires, err)
	}
	sess, err := sim.Login("u", "p")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name           string
		advance        time.Duration
		bearer, sessOf string
		bearerCode     string
		sessionCode    string
	}{
		{"at once", 0, tok, sess, "", ""},
		{"19 idle minutes: the session is renewed by its use", 19 * time.Minute, tok, sess, "", ""},
		{"19 more: still within 20 of the last use", 19 * time.Minute, tok, sess, "", ""},
		{"20 idle minutes: expired", 20 * time.Minute, tok, sess, "", tserr.CodeSessionExpired},
		{"an unknown session", 0, tok, "00000000-0000-4000-8000-000000000000", "", tserr.CodeSessionInvalid},
		{"a session that is not a GUID", 0, tok, "nope", "", tserr.CodeSessionInvalid},
		{"no session", 0, tok, "", "", tserr.CodeSessionFormat},
		{"past the hour: the token has expired", 3 * time.Minute, tok, sess, tserr.FaultInvalidCredentials, ""},
		{"an unknown token", 0, "nope", sess, tserr.FaultInvalidCredentials, ""},
		{"no token", 0, "", sess, tserr.FaultMissingCredentials, ""},
	}
	for _, st := range steps {
		c.Advance(st.advance, nil)
		if got := codeOf(sim.CheckBearer(st.bearer)); got != st.bearerCode {
			t.Errorf("%s: bearer %q, want %q", st.name, got, st.bearerCode)
		}
		if st.bearerCode != "" {
			continue
		}
		_, err := sim.Session(st.sessOf)
		if got := codeOf(err); got != st.sessionCode {
			t.Errorf("%s: session %q, want %q", st.name, got, st.sessionCode)
		}
	}
	again, _, err := sim.IssueToken("key", "secret")
	if err != nil || again == tok {
		t.Errorf("after the hour: token %q (%v), want a new one", again, err)
	}
	if _, _, err := sim.IssueToken("key", "wrong"); codeOf(err) != "invalid_client" {
		t.Errorf("a wrong secret: %v", err)
	}
}

func TestRegistrationsAndWhereCallbacksGo(t *testing.T) {
	sim, _ := strictWorld(t)
	sess, err := sim.Login("u", "p")
	if err != nil {
		t.Fatal(err)
	}
	p, err := sim.Session(sess)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := sim.registry.Destination("acct", wire.ServiceDeviceProfile); !ok || r.URL != "http://127.0.0.1:1/fallback" {
		t.Errorf("before any registration: %+v %v, want the fallback URL", r, ok)
	}
	for _, tt := range []struct {
		account, code string
	}{
		{"acct", ""},
		{"other", tserr.CodeAccountName},
		{"nowhere", tserr.CodeAccountNotFound},
		{"", tserr.CodeAccountNotDefined},
	} {
		err := sim.Register(p, Registration{AccountName: tt.account, ServiceName: wire.ServiceDeviceProfile, URL: "http://127.0.0.1:2/cb"})
		if got := codeOf(err); got != tt.code {
			t.Errorf("register for %q: %q, want %q", tt.account, got, tt.code)
		}
	}
	if r, _ := sim.registry.Destination("acct", wire.ServiceDeviceProfile); r.URL != "http://127.0.0.1:2/cb" {
		t.Errorf("after registering: %+v", r)
	}
	if err := sim.Deregister(p, "acct", wire.ServiceDeviceProfile); err != nil {
		t.Fatal(err)
	}
	if err := sim.Deregister(p, "acct", wire.ServiceDeviceProfile); codeOf(err) != tserr.CodeCallbackNotFound {
		t.Errorf("deregistering twice: %v", err)
	}
}

// A client logging in in a loop holds at most MaxSessions sessions: the
// oldest is forgotten (and answers Invalid, as any unknown one), the newest
// work. Before the bound, 30,000 logins a second grew memory for 40 minutes.
func TestSessionsOfAUserAreBounded(t *testing.T) {
	sim, _ := strictWorld(t)
	sim.maxSessions = 10
	var toks []string
	for range 1000 {
		tok, err := sim.Login("u", "p")
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	if n := len(sim.sessions); n != 10 {
		t.Errorf("%d sessions kept, want 10", n)
	}
	if n := len(sim.byUser["u"]); n > 11 {
		t.Errorf("%d session tokens listed for the user, want at most 11", n)
	}
	if _, err := sim.Session(toks[0]); codeOf(err) != tserr.CodeSessionInvalid {
		t.Errorf("the oldest session: %v, want Invalid", err)
	}
	for _, tok := range toks[990:] {
		if _, err := sim.Session(tok); err != nil {
			t.Errorf("one of the newest sessions: %v", err)
		}
	}
	for _, tok := range toks[990:] {
		sim.Logout(tok)
	}
	if n := len(sim.byUser["u"]); n != 0 {
		t.Errorf("%d session tokens listed after logging every one out", n)
	}
}

// With relaxed auth, any app key gets a token, and one the fixtures do not
// name is not kept: a client making up keys in a loop costs no memory.
func TestMadeUpKeysKeepNoToken(t *testing.T) {
	w := newWorld(t)
	for i := range 1000 {
		tok, expires, err := w.sim.IssueToken(fmt.Sprintf("made-up-%d", i), "")
		if err != nil || tok == "" || expires != int(TokenLifetime/time.Second) {
			t.Fatalf("key %d: %q %d %v", i, tok, expires, err)
		}
		if err := w.sim.CheckBearer(tok); err != nil {
			t.Fatalf("its token is refused: %v", err)
		}
	}
	if n := len(w.sim.tokens) + len(w.sim.byClient); n != 0 {
		t.Errorf("%d tokens kept for made-up keys", n)
	}
}

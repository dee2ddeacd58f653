package simulator_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/simulator"
)

// raw sends one request and returns its status and body.
func (e *env) raw(method, path string, header http.Header, body string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestTokenIsReusedWithinTheHour(t *testing.T) {
	e := newEnv(t)
	c, _ := client.New(e.url, client.WithCredentials("demo-key", "demo-secret"))
	first, err := c.FetchToken(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.ExpiresIn != 3600 || first.TokenType != "bearer" {
		t.Errorf("token %+v", first)
	}
	e.advance(59 * time.Minute)
	again, err := c.FetchToken(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.AccessToken != first.AccessToken || again.ExpiresIn != 60 {
		t.Errorf("within the hour: %+v after %+v", again, first)
	}
	e.advance(time.Minute)
	fresh, err := c.FetchToken(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == first.AccessToken || fresh.ExpiresIn != 3600 {
		t.Errorf("after the hour: %+v", fresh)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	e := newEnv(t)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	basic := func(k, s string) http.Header {
		h := form.Clone()
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(k, s)
		h.Set("Authorization", r.Header.Get("Authorization"))
		return h
	}
	tests := []struct {
		name   string
		header http.Header
		body   string
		status int
		want   string
	}{
		{"no grant_type", basic("demo-key", "demo-secret"), "", 400, `"error":"invalid_request","error_description":"Missing grant_type parameter value"`},
		{"other grant", basic("demo-key", "demo-secret"), "grant_type=password", 400, `"error":"unsupported_grant_type"`},
		{"no Basic", form, "grant_type=client_credentials", 401, `"error":"invalid_client"`},
		{"wrong secret", basic("demo-key", "nope"), "grant_type=client_credentials", 401, `"error":"invalid_client"`},
		{"unknown key", basic("who", "demo-secret"), "grant_type=client_credentials", 401, `"error":"invalid_client"`},
		{"scope echoed", basic("demo-key", "demo-secret"), "grant_type=client_credentials&scope=discovery", 200, `"expires_in":3600,"scope":"discovery"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := e.raw("POST", "/api/ts/v1/oauth2/token", tt.header, tt.body)
			if st != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s, want %d with %s", st, body, tt.status, tt.want)
			}
		})
	}
}

func TestM2MCallAuthFailures(t *testing.T) {
	e := newEnv(t)
	tok, err := e.api.Token(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := e.api.Login(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/m2m/v1/callbacks/" + account
	tests := []struct {
		name   string
		header http.Header
		status int
		want   string
	}{
		{"no bearer", http.Header{"Vz-M2m-Token": {sess}}, 401, `"code":"900902"`},
		{"Basic instead of Bearer", http.Header{"Authorization": {"Basic ZGVtbzpkZW1v"}, "Vz-M2m-Token": {sess}}, 401, `"code":"900902"`},
		{"unknown bearer", http.Header{"Authorization": {"Bearer nope"}, "Vz-M2m-Token": {sess}}, 401, `"code":"900901"`},
		{"no session", http.Header{"Authorization": {"Bearer " + tok}}, 400, "SessionToken.Format"},
		{"session not a GUID", http.Header{"Authorization": {"Bearer " + tok}, "Vz-M2m-Token": {"abc"}}, 400, "INPUT_INVALID.SessionToken.Invalid"},
		{"unknown session", http.Header{"Authorization": {"Bearer " + tok}, "Vz-M2m-Token": {"7d0e6f2a-1111-4222-8333-444455556666"}}, 400, "INPUT_INVALID.SessionToken.Invalid"},
		{"both good", http.Header{"Authorization": {"Bearer " + tok}, "Vz-M2m-Token": {sess}}, 200, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := e.raw("GET", path, tt.header, "")
			if st != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s, want %d with %s", st, body, tt.status, tt.want)
			}
		})
	}
}

func TestExpiredAndRevokedTokens(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.api.Token(e.ctx)
	sess, _ := e.api.Login(e.ctx)
	h := http.Header{"Authorization": {"Bearer " + tok}, "Vz-M2m-Token": {sess}}
	e.advance(time.Hour)
	if st, body := e.raw("GET", "/api/m2m/v1/callbacks/"+account, h, ""); st != 401 || !strings.Contains(body, "900901") {
		t.Errorf("expired token: %d %s", st, body)
	}
	tok2, err := e.api.Token(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.api.RevokeToken(e.ctx); err != nil {
		t.Fatal(err)
	}
	h.Set("Authorization", "Bearer "+tok2)
	if st, body := e.raw("GET", "/api/m2m/v1/callbacks/"+account, h, ""); st != 401 || !strings.Contains(body, "900901") {
		t.Errorf("revoked token: %d %s", st, body)
	}
}

func TestSessionIdleExpiryAndRenewal(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.api.Token(e.ctx)
	sess, _ := e.api.Login(e.ctx)
	h := http.Header{"Authorization": {"Bearer " + tok}, "Vz-M2m-Token": {sess}}
	get := func() (int, string) { return e.raw("GET", "/api/m2m/v1/callbacks/"+account, h, "") }
	e.advance(15 * time.Minute)
	if st, body := get(); st != 200 {
		t.Fatalf("after 15 idle minutes: %d %s", st, body)
	}
	e.advance(20 * time.Minute)
	if st, body := get(); st != 400 {
		t.Fatalf("used 15 minutes in, then 20 idle: %d %s; want expired", st, body)
	} else if !strings.Contains(body, `"errorCode":"UnifiedWebService.REQUEST_FAILED.SessionToken.Expired"`) {
		t.Errorf("body %s", body)
	}
	// The client logs in again by itself and retries.
	if _, err := e.api.Callbacks(e.ctx, account); err != nil {
		t.Fatalf("client did not recover from the expired session: %v", err)
	}
	if e.api.SessionToken() == sess {
		t.Error("client kept the expired session")
	}
}

func TestFiveFailedLoginsLockTheUser(t *testing.T) {
	e := newEnv(t)
	bad, _ := client.New(e.url, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "wrong"))
	for i := 1; i <= 5; i++ {
		_, err := bad.Login(e.ctx)
		if st, c := code(t, err); st != 400 || c != tserr.CodePasswordInvalid {
			t.Fatalf("login %d: %d %s", i, st, c)
		}
	}
	_, err := e.api.Login(e.ctx)
	if _, c := code(t, err); c != tserr.CodeUserLocked {
		t.Fatalf("right password after 5 failures: %s, want locked", c)
	}
	if err := e.admin.Unlock(e.ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.Login(e.ctx); err != nil {
		t.Errorf("after POST /_sim/users/demo/unlock: %v", err)
	}
}

func TestSuccessfulLoginResetsTheFailureCount(t *testing.T) {
	e := newEnv(t)
	bad, _ := client.New(e.url, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "wrong"))
	for range 4 {
		_, _ = bad.Login(e.ctx)
	}
	if _, err := e.api.Login(e.ctx); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		_, _ = bad.Login(e.ctx)
	}
	if _, err := e.api.Login(e.ctx); err != nil {
		t.Errorf("4 failures after a success locked the user: %v", err)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	e := newEnv(t)
	sess, _ := e.api.Login(e.ctx)
	if err := e.api.Logout(e.ctx); err != nil {
		t.Fatal(err)
	}
	tok, _ := e.api.Token(e.ctx)
	h := http.Header{"Authorization": {"Bearer " + tok}, "Vz-M2m-Token": {sess}}
	if st, body := e.raw("GET", "/api/m2m/v1/callbacks/"+account, h, ""); st != 400 || !strings.Contains(body, "SessionToken.Invalid") {
		t.Errorf("after logout: %d %s", st, body)
	}
}

func TestRelaxedAuthAcceptsAnyTokens(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.Auth = "relaxed" })
	h := http.Header{"Authorization": {"Bearer anything"}, "Vz-M2m-Token": {"whatever"}}
	if st, body := e.raw("GET", "/api/m2m/v1/callbacks/"+otherAccount, h, ""); st != 200 {
		t.Errorf("relaxed: %d %s", st, body)
	}
	h.Del("Vz-M2m-Token")
	if st, _ := e.raw("GET", "/api/m2m/v1/callbacks/"+account, h, ""); st != 400 {
		t.Errorf("relaxed without a session token: %d, want 400", st)
	}
	c, _ := client.New(e.url, client.WithCredentials("x", "y"), client.WithUser("u", "p"))
	if _, err := c.Callbacks(e.ctx, account); err != nil {
		t.Errorf("relaxed login: %v", err)
	}
}

package record

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// Each place a secret stands is replaced by its label, the same secret by
// the same label, and what is no secret is kept.
func TestRedactorReplacesSecretsWhereTheyStand(t *testing.T) {
	r := newRedactor()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("app-key:app-secret-123456"))
	h := r.headers(map[string][]string{"Authorization": {basic}, "Content-Type": {"application/json"}, "Cookie": {"x=y"}}, RecordedHeaders)
	if h["Authorization"] != "Basic app-key:redacted-client-secret-1" || h["Content-Type"] != "application/json" || h["Cookie"] != "" {
		t.Errorf("headers: %v", h)
	}
	h = r.headers(map[string][]string{"Authorization": {"Bearer tok-abcdef123"}, "Vz-M2m-Token": {"sess-abcdef123"}}, RecordedHeaders)
	if h["Authorization"] != "Bearer redacted-access-token-1" || h["Vz-M2m-Token"] != "redacted-session-token-1" {
		t.Errorf("tokens: %v", h)
	}
	if got, _ := r.form("token=tok-abcdef123&grant_type=client_credentials&client_secret=other-secret-9"); got != "client_secret=redacted-client-secret-2&grant_type=client_credentials&token=redacted-access-token-1" {
		t.Errorf("form: %s", got)
	}
	for _, c := range []struct {
		body  string
		rules bodyRules
		want  string
	}{
		{`{"username":"u","password":"pw-login-1"}`, bodyRules{}, `{"password":"redacted-password-1","username":"u"}`},
		{`{"name":"S","url":"http://hook:hook-pw-1234@127.0.0.1:1/cb?sig=signature-123","username":"cb-user","password":"cb-pass-1"}`, bodyRules{credentials: true},
			`{"name":"S","password":"redacted-callback-password-1","url":"http://redacted-callback-username-1:redacted-callback-password-2@127.0.0.1:1/cb?sig=redacted-url-secret-1","username":"redacted-callback-username-2"}`},
		{`[{"url":"http://127.0.0.1:1/cb","password":"cb-pass-1"}]`, bodyRules{credentials: true}, `[{"password":"redacted-callback-password-1","url":"http://127.0.0.1:1/cb"}]`},
		{`{"access_token":"tok-abcdef123","expires_in":3600}`, bodyRules{}, `{"access_token":"redacted-access-token-1","expires_in":3600}`},
		{`{"sessionToken":"sess-abcdef123"}`, bodyRules{}, `{"sessionToken":"redacted-session-token-1"}`},
		// A device's network credential is replaced where it stands only:
		// its password is the device's MDN, an identifier elsewhere.
		{`{"deviceResponse":{"deviceCredential":{"username":"2025550100@vzw4g.com","password":"2025550100"}},"mdn":"2025550100"}`, bodyRules{credentials: true},
			`{"deviceResponse":{"deviceCredential":{"password":"redacted-secret-1","username":"2025550100@vzw4g.com"}},"mdn":"2025550100"}`},
	} {
		got, ok := r.json([]byte(c.body), c.rules)
		if !ok || string(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.body, got, c.want)
		}
	}
	line := []byte(`{"text":"token tok-abcdef123 expired; app-key:app-secret-123456 ` + base64.StdEncoding.EncodeToString([]byte("app-key:app-secret-123456")) + `"}`)
	if got := string(r.scrub(line)); strings.Contains(got, "tok-abcdef123") || strings.Contains(got, "app-secret-123456") || strings.Contains(got, "YXBw") {
		t.Errorf("a secret quoted elsewhere stays: %s", got)
	}
}

// A short secret is replaced where it is a whole string, and not inside
// longer text, where it may be a part of anything.
func TestRedactorScrubsShortSecretsOnlyWhole(t *testing.T) {
	r := newRedactor()
	r.label(kindPassword, "demo", true)
	got := string(r.scrub([]byte(`{"username":"demo","key":"demo-key","echo":"demo"}`)))
	if got != `{"username":"redacted-password-1","key":"demo-key","echo":"redacted-password-1"}` {
		t.Errorf("got %s", got)
	}
}

// The redactor remembers maxSecrets secrets: past it, the oldest are
// forgotten (and not replaced beyond where they stand), the newest kept.
func TestRedactorIsBounded(t *testing.T) {
	r := newRedactor()
	for i := range maxSecrets + 10 {
		r.label(kindAccessToken, fmt.Sprintf("token-number-%05d", i), true)
	}
	if len(r.labels) != maxSecrets || len(r.order) != maxSecrets || len(r.scrubbed) != maxSecrets {
		t.Fatalf("%d labels, %d in order, %d scrubbed", len(r.labels), len(r.order), len(r.scrubbed))
	}
	if _, ok := r.labels["token-number-00000"]; ok {
		t.Error("the oldest secret is still remembered")
	}
	last := fmt.Sprintf("token-number-%05d", maxSecrets+9)
	if got := string(r.scrub([]byte(`"` + last + `"`))); got != fmt.Sprintf(`"redacted-access-token-%d"`, maxSecrets+10) {
		t.Errorf("newest: %s", got)
	}
}

package standin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tssim/tssim/internal/wire"
)

// Listener is the client's callback listener. It answers 200, but 503 to
// the first failure it gets, so that the upstream sends that one again.
type Listener struct {
	// URL carries credentials, as a listener's URL may: user information
	// and a signature in its query.
	URL string
	srv *httptest.Server

	mu      sync.Mutex
	got     []map[string]any
	refused bool
}

// NewListener starts a listener on 127.0.0.1.
func NewListener() *Listener {
	l := &Listener{}
	l.srv = httptest.NewServer(http.HandlerFunc(l.take))
	u, _ := url.Parse(l.srv.URL)
	u.User = url.UserPassword(URLUser, URLPassword)
	u.Path = "/callbacks"
	u.RawQuery = url.Values{"sig": {URLSignature}}.Encode()
	l.URL = u.String()
	return l
}

func (l *Listener) take(w http.ResponseWriter, r *http.Request) {
	var cb map[string]any
	_ = json.NewDecoder(r.Body).Decode(&cb)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, cb)
	if cb["status"] == "Failed" && !l.refused {
		l.refused = true
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Callbacks are those the listener took, in order.
func (l *Listener) Callbacks() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]any(nil), l.got...)
}

// Close stops the listener.
func (l *Listener) Close() { l.srv.Close() }

// client is the life's client of the API at base.
type client struct {
	ctx            context.Context
	base           string
	hc             *http.Client
	token, session string
}

// call sends a request and decodes its JSON answer; body is a form when
// it is a string, else JSON.
func (c *client) call(method, path string, header map[string]string, body any) (int, map[string]any, error) {
	var r io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		r, ct = strings.NewReader(b), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.session != "" {
		req.Header.Set("VZ-M2M-Token", c.session)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(bytes.TrimSpace(b)) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &out); err != nil {
			return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, out, nil
}

// expect calls and checks the status.
func (c *client) expect(want int, method, path string, header map[string]string, body any) (map[string]any, error) {
	st, out, err := c.call(method, path, header, body)
	if err != nil {
		return nil, err
	}
	if st != want {
		return nil, fmt.Errorf("%s %s: %d %v, want %d", method, path, st, out, want)
	}
	return out, nil
}

// profileAction is a local profile action's body for one device and
// profile.
func profileAction(eid, iccid string) map[string]any {
	return map[string]any{"accountName": Account, "smsrOid": SMSROID,
		"devices": []any{map[string]any{"deviceIds": []any{map[string]string{"kind": "eid", "id": eid}, map[string]string{"kind": "iccid", "id": iccid}}}}}
}

// lineAction is a line action's body for one device, named by its IMEI.
func lineAction(eid string) map[string]any {
	return map[string]any{"accountName": Account,
		"devices": []any{map[string]any{"deviceIds": []any{map[string]string{"kind": "imei", "id": "35" + eid[len(eid)-13:]}}}}}
}

// Life is a device's whole life, as a client lives it through base (a
// recorder in front of the stand-in s): an app secret refused and one
// accepted, a password refused and one accepted, listeners registered for
// both services (with credentials, in the URL too) and listed, the device
// list, four profile actions (a warning then success, a failure the
// listener refuses once, a scripted failure, and device D's, which the
// planted stand-in makes a warning then an expiry), 30 minutes, a
// request's status, a suspend and a restore, a body refused, a logout and
// a call after it. The stand-in's clock is moved through s; the callbacks
// of each action are delivered before the next. It returns the tokens it
// was given: secrets the recording must not hold either.
func Life(ctx context.Context, base string, s *StandIn, l *Listener) ([]string, error) {
	c := &client{ctx: ctx, base: base, hc: &http.Client{Timeout: 30 * time.Second}}
	basic := func(secret string) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(AppKey+":"+secret))}
	}
	var tokens []string
	steps := []func() error{
		func() error {
			_, err := c.expect(401, "POST", "/api/ts/v1/oauth2/token", basic(WrongAppSecret), "grant_type=client_credentials")
			return err
		},
		func() error {
			out, err := c.expect(200, "POST", "/api/ts/v1/oauth2/token", basic(AppSecret), "grant_type=client_credentials")
			c.token, _ = out["access_token"].(string)
			tokens = append(tokens, c.token)
			return err
		},
		func() error {
			_, err := c.expect(400, "POST", "/api/m2m/v1/session/login", nil, map[string]string{"username": User, "password": WrongPassword})
			return err
		},
		func() error {
			out, err := c.expect(200, "POST", "/api/m2m/v1/session/login", nil, map[string]string{"username": User, "password": Password})
			c.session, _ = out["sessionToken"].(string)
			tokens = append(tokens, c.session)
			return err
		},
		func() error {
			for _, svc := range []string{wire.ServiceDeviceProfile, wire.ServiceCarrier} {
				reg := map[string]string{"name": svc, "url": l.URL, "username": CallbackUser, "password": CallbackPassword}
				if _, err := c.expect(200, "POST", "/api/m2m/v1/callbacks/"+Account, nil, reg); err != nil {
					return err
				}
			}
			_, err := c.expect(200, "GET", "/api/m2m/v1/callbacks/"+Account, nil, nil)
			return err
		},
		func() error {
			_, err := c.expect(200, "POST", "/api/m2m/v1/devices/actions/list", nil, map[string]string{"accountName": Account})
			return err
		},
	}
	var first string
	act := func(action, eid string, n int, scenario string) func() error {
		return func() error {
			var h map[string]string
			if scenario != "" {
				h = map[string]string{"X-Tssim-Scenario": scenario}
			}
			out, err := c.expect(200, "POST", "/api/m2m/v1/devices/profile/actions/"+action, h, profileAction(eid, ICCID(eid, n)))
			if first == "" && out != nil {
				first, _ = out["requestId"].(string)
			}
			if err != nil {
				return err
			}
			return s.Advance(0)
		}
	}
	steps = append(steps,
		act("enable", EIDA, 2, "warning-then-success"),
		act("enable", EIDB, 9, ""),
		act("download_enable", EIDC, 3, "failure"),
		act("enable", EIDD, 2, ""),
		func() error { return s.Advance(30 * time.Minute) },
		// The session expired meanwhile, as ThingSpace's do after 20
		// minutes unused: a second login.
		func() error {
			c.session = ""
			out, err := c.expect(200, "POST", "/api/m2m/v1/session/login", nil, map[string]string{"username": User, "password": Password})
			c.session, _ = out["sessionToken"].(string)
			tokens = append(tokens, c.session)
			return err
		},
		func() error {
			_, err := c.expect(200, "GET", "/api/m2m/v1/accounts/"+Account+"/requests/"+first+"/status", nil, nil)
			return err
		},
		func() error {
			for _, a := range []string{"suspend", "restore"} {
				if _, err := c.expect(200, "POST", "/api/m2m/v1/devices/actions/"+a, nil, lineAction(EIDA)); err != nil {
					return err
				}
				if err := s.Advance(0); err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			_, err := c.expect(400, "POST", "/api/m2m/v1/devices/profile/actions/delete", nil, map[string]any{"accountName": Account, "smsrOid": SMSROID, "devices": []any{}})
			return err
		},
		func() error {
			_, err := c.expect(200, "POST", "/api/m2m/v1/session/logout", nil, nil)
			return err
		},
		func() error {
			st, _, err := c.call("GET", "/api/m2m/v1/callbacks/"+Account, nil, nil)
			if err == nil && st < 400 {
				err = fmt.Errorf("a call after logout: %d", st)
			}
			return err
		},
	)
	for i, step := range steps {
		if err := step(); err != nil {
			return tokens, fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return tokens, nil
}

// Package standin is the upstream of the recording's tests and examples,
// since no real ThingSpace account is at hand: a tssim on 127.0.0.1, on a
// manual clock, with fixtures of its own whose secrets are long enough to
// find in a file; in its planted form, with one device's scenario changed
// and two answers altered on the way out. Life is a device's whole life,
// as a client lives it through a recorder.
package standin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tssim/tssim/simulator"
)

// The stand-in's world.
const (
	Account = "4200000001-00001"
	SMSROID = "1.3.6.1.4.1.31746.1.500.200.101.5"
	AppKey  = "standin-app-key"
	User    = "standin-user"

	// EIDs of the four devices: A has a second local profile to enable,
	// B one profile only, C its bootstrap profile enabled, D (the
	// planted one) a second local profile too.
	EIDA = "89049032000001000000000000000001"
	EIDB = "89049032000001000000000000000002"
	EIDC = "89049032000001000000000000000003"
	EIDD = "89049032000001000000000000000004"

	// PlantedScenario is the planted stand-in's scenario for device D.
	PlantedScenario = "unreachable-then-failure"
	// PlantedErrorCode is what the planted stand-in answers a refused
	// login with, instead of tssim's code.
	PlantedErrorCode = "UnifiedWebService.AUTH.CredentialsRejected"
	// PlantedMissingField is the field the planted stand-in leaves out
	// of a token's answer.
	PlantedMissingField = "expires_in"
)

// The secrets the life uses; no recording may hold any of them.
const (
	AppSecret        = "app-secret-5c1f0e9d8b7a"
	WrongAppSecret   = "wrong-secret-7a6b5c4d3e2f"
	Password         = "user-password-9e8d7c6b5a"
	WrongPassword    = "wrong-password-1a2b3c4d5e"
	CallbackUser     = "listener-user-3f2e1d0c"
	CallbackPassword = "listener-password-6b5a4f3e"
	URLUser          = "url-user-8c7b6a59"
	URLPassword      = "url-password-2d3c4b5a"
	URLSignature     = "url-signature-0f1e2d3c4b"
)

// Secrets are the fixed secrets of the life; the tokens it is given are
// secrets too (Life returns them).
var Secrets = []string{AppSecret, WrongAppSecret, Password, WrongPassword, CallbackUser, CallbackPassword, URLUser, URLPassword, URLSignature}

// ICCID is a profile of a device: 0 its bootstrap profile, 1 its enabled
// local one, 2 a disabled local one (A and D), 3 one to download (C), 9
// one the device does not have.
func ICCID(eid string, n int) string { return fmt.Sprintf("8914800000%s%d", eid[len(eid)-9:], n) }

// Fixtures are the stand-in's; planted gives device D PlantedScenario.
func Fixtures(planted bool) []byte {
	device := func(eid string, profiles ...map[string]string) map[string]any {
		return map[string]any{"eid": eid, "account": Account, "imei": "35" + eid[len(eid)-13:], "mdn": "42" + eid[len(eid)-8:],
			"state": "Active", "ipAddress": "10.0.0." + eid[len(eid)-1:], "servicePlan": "M2M-4G", "profiles": profiles}
	}
	p := func(eid string, n int, typ, status string) map[string]string {
		return map[string]string{"iccid": ICCID(eid, n), "type": typ, "status": status}
	}
	d := device(EIDD, p(EIDD, 0, "bootstrap", "disabled"), p(EIDD, 1, "local", "enabled"), p(EIDD, 2, "local", "disabled"))
	if planted {
		d["scenario"] = PlantedScenario
	}
	f := map[string]any{
		"clients":  []map[string]string{{"appKey": AppKey, "appSecret": AppSecret}},
		"users":    []map[string]any{{"username": User, "password": Password, "accounts": []string{Account}}},
		"accounts": []map[string]string{{"name": Account, "smsrOid": SMSROID}},
		"devices": []map[string]any{
			device(EIDA, p(EIDA, 0, "bootstrap", "disabled"), p(EIDA, 1, "local", "enabled"), p(EIDA, 2, "local", "disabled")),
			device(EIDB, p(EIDB, 0, "bootstrap", "disabled"), p(EIDB, 1, "local", "enabled")),
			device(EIDC, p(EIDC, 0, "bootstrap", "enabled")),
			d,
		},
	}
	b, _ := json.MarshalIndent(f, "", " ")
	return b
}

// StandIn is a running stand-in.
type StandIn struct {
	URL    string
	srv    *simulator.Server
	http   *httptest.Server
	client *http.Client
}

// Start starts a stand-in on 127.0.0.1; dir holds its fixture file.
func Start(dir string, planted bool) (*StandIn, error) {
	path := filepath.Join(dir, fmt.Sprintf("standin-fixtures-%t.json", planted))
	if err := os.WriteFile(path, Fixtures(planted), 0o600); err != nil {
		return nil, err
	}
	srv, err := simulator.New(simulator.Options{Fixtures: path, Clock: "manual", Logger: slog.New(slog.DiscardHandler), Workers: 4})
	if err != nil {
		return nil, err
	}
	h := srv.Handler()
	if planted {
		h = alter(h)
	}
	hs := httptest.NewServer(h)
	return &StandIn{URL: hs.URL, srv: srv, http: hs, client: hs.Client()}, nil
}

// Advance moves the stand-in's clock; the callbacks falling due are
// delivered before it returns.
func (s *StandIn) Advance(d time.Duration) error {
	b, _ := json.Marshal(map[string]string{"by": d.String()})
	resp, err := s.client.Post(s.URL+"/_sim/clock/advance", "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("advancing the stand-in's clock: %d", resp.StatusCode)
	}
	return nil
}

// Close stops the stand-in.
func (s *StandIn) Close() {
	s.http.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.srv.Close(ctx)
}

// alter plants the two altered answers: a refused login answers
// PlantedErrorCode, and a token's answer lacks PlantedMissingField.
func alter(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		login := r.URL.Path == "/api/m2m/v1/session/login"
		token := r.URL.Path == "/api/ts/v1/oauth2/token"
		if !login && !token {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var doc map[string]any
		if json.Unmarshal(body, &doc) == nil {
			switch {
			case login && rec.Code >= 400:
				doc["errorCode"] = PlantedErrorCode
			case token && rec.Code == http.StatusOK:
				delete(doc, PlantedMissingField)
			}
			body, _ = json.Marshal(doc)
		}
		for k, v := range rec.Header() {
			if !strings.EqualFold(k, "Content-Length") {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

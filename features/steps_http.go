package features

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tssim/tssim/client"
)

// Raw HTTP, for what no client would send: tssim's own answers.

func (w *world) callerLogsIn(ctx context.Context) error {
	c, err := client.New(w.simURL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"))
	if err != nil {
		return err
	}
	if w.token, err = c.Token(ctx); err != nil {
		return err
	}
	w.session, err = c.Login(ctx)
	return err
}

func (w *world) send(ctx context.Context, method, path string, header http.Header, body string) error {
	req, err := http.NewRequestWithContext(ctx, method, w.simURL+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	w.status, w.body = resp.StatusCode, string(b)
	return err
}

func (w *world) authHeader() http.Header {
	return http.Header{"Authorization": {"Bearer " + w.token}, "Vz-M2m-Token": {w.session}, "Content-Type": {"application/json"}}
}

func (w *world) callerLists(ctx context.Context, account, how string) error {
	if w.token == "" {
		if err := w.callerLogsIn(ctx); err != nil {
			return err
		}
	}
	h := w.authHeader()
	switch {
	case how == " without an access token":
		h.Del("Authorization")
	case how == " without a session token":
		h.Del("Vz-M2m-Token")
	case strings.HasPrefix(how, " with access token "):
		h.Set("Authorization", "Bearer "+strings.Trim(strings.TrimPrefix(how, " with access token "), `"`))
	}
	return w.send(ctx, http.MethodGet, "/api/m2m/v1/callbacks/"+account, h, "")
}

func (w *world) postMalformed(ctx context.Context, what string) error {
	const seed = `{"deviceIds":[{"kind":"eid","id":"666456789123456789123456784008"},{"kind":"iccid","id":"89148000000840784259"}]}`
	bodies := map[string]string{
		"without accountName":          `{"devices":[` + seed + `],"smsrOid":"` + demoSMSROID + `"}`,
		"with an EID of 5 digits":      `{"devices":[{"deviceIds":[{"kind":"eid","id":"12345"},{"kind":"iccid","id":"89148000000840784259"}]}],"accountName":"` + demoAccount + `","smsrOid":"` + demoSMSROID + `"}`,
		"with an identifier kind imsi": `{"devices":[{"deviceIds":[{"kind":"eid","id":"666456789123456789123456784008"},{"kind":"imsi","id":"89148000000840784259"}]}],"accountName":"` + demoAccount + `","smsrOid":"` + demoSMSROID + `"}`,
		"not JSON":                     `devices=all`,
		"empty":                        ``,
	}
	body, ok := bodies[strings.TrimSpace(what)]
	if !ok {
		return fmt.Errorf("no malformed body %q", what)
	}
	if err := w.callerLogsIn(ctx); err != nil {
		return err
	}
	return w.send(ctx, http.MethodPost, "/api/m2m/v1/devices/profile/actions/delete", w.authHeader(), body)
}

// wireError checks a raw answer's body against schemas/error.json.
func (w *world) wireError() error {
	if err := w.cfg.schemas.check("error.json", []byte(w.body)); err != nil {
		return fmt.Errorf("tssim answered %d with a body that breaks schemas/error.json: %v: %s", w.status, err, w.body)
	}
	return nil
}

func (w *world) answerFault(status int, fault string) error {
	if err := w.wireError(); err != nil {
		return err
	}
	if w.status != status || !strings.Contains(w.body, `"code":"`+fault+`"`) {
		return fmt.Errorf("answer %d %s, want %d with fault %s", w.status, w.body, status, fault)
	}
	return nil
}

func (w *world) answerError(status int, code, naming string) error {
	if err := w.wireError(); err != nil {
		return err
	}
	if w.status != status || !strings.Contains(w.body, `"errorCode":"`+code+`"`) || !strings.Contains(w.body, naming) {
		return fmt.Errorf("answer %d %s, want %d with %s naming %q", w.status, w.body, status, code, naming)
	}
	return nil
}

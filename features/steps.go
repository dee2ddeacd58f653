package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/tssim/tssim/client"
)

// steps registers every step; each is a line over the world.
func (w *world) steps(sc *godog.ScenarioContext) {
	// The simulator.
	sc.Step(`^the simulator is reset$`, w.reset)
	sc.Step(`^device "([^"]*)" runs the "([^"]*)" scenario$`, w.assignScenario)
	sc.Step(`^(\d+) minutes pass$`, w.minutesPass)
	sc.Step(`^device "([^"]*)" has profile "([^"]*)" enabled$`, w.hasEnabled)
	sc.Step(`^device "([^"]*)" no longer holds profile "([^"]*)"$`, w.noLongerHolds)
	sc.Step(`^device "([^"]*)" is waiting for the SM-SR$`, w.isPending)
	sc.Step(`^the simulator sent (\d+) callbacks for device "([^"]*)"$`, w.simulatorSent)
	sc.Step(`^the simulator made (\d+) attempts to deliver the callback for device "([^"]*)", (\d+) minutes apart$`, w.attemptsApart)

	// The client under test.
	sc.Step(`^the client's listener is registered for account "([^"]*)"$`, w.registerListener)
	sc.Step(`^the client's listener answers (\d+) to the first (\d+) callbacks$`, w.listenerFails)
	sc.Step(`^the acknowledgement of the first (\d+ )?callbacks? (?:is|are) lost on the way back$`, w.acksLost)
	sc.Step(`^the simulator holds its answers to the client until a callback of the request was delivered$`, w.holdAnswers)
	sc.Step(`^(\d+) more devices of account "([^"]*)", each with an enabled local profile$`, w.addDevices)
	sc.Step(`^the client deletes the enabled profile of each of those devices in one request$`, w.deleteAdded)
	sc.Step(`^the client's final result for each of those devices is "([^"]*)"$`, w.finalForAdded)
	sc.Step(`^the client's listener acknowledged every callback with a 2xx$`, w.ackedAll)
	sc.Step(`^a callback whose body is not JSON reaches the client's listener$`, w.postGarbage)
	sc.Step(`^the client's listener answers it with a 4xx$`, w.answered4xx)
	sc.Step(`^the client uses app secret "([^"]*)"$`, w.useSecret)
	sc.Step(`^the client deletes profile "([^"]*)" from device "([^"]*)"(?: again)?$`, w.deleteOne)
	sc.Step(`^the client deletes profile "([^"]*)" from device "([^"]*)" of account "([^"]*)"$`, w.deleteOf)
	sc.Step(`^the client deletes these profiles in one request:$`, w.deleteTable)
	sc.Step(`^the request is accepted$`, w.accepted)
	sc.Step(`^the request is refused with status (\d+) and error "([^"]*)"$`, w.refused)
	sc.Step(`^the client has received (a final result|only a warning|nothing) for device "([^"]*)"$`, w.hasReceived)
	sc.Step(`^the client received (\d+) callbacks for device "([^"]*)"$`, w.receivedCount)
	sc.Step(`^the client's final result(?: of the (first|second|third) request)? for device "([^"]*)" is "([^"]*)" with (euicc status|code) "([^"]*)"$`, w.finalIs)
	sc.Step(`^the client's final result for device "([^"]*)" came with callbackCount (\d+)$`, w.finalCount)
	sc.Step(`^the client's final result for device "([^"]*)" has code "([^"]*)"$`, w.finalCode)
	sc.Step(`^the client's final results are:$`, w.finalTable)

	// Raw HTTP, for what no client would send.
	sc.Step(`^a caller logged in$`, w.callerLogsIn)
	sc.Step(`^(?:a|the) caller lists the callbacks of account "([^"]*)"( without an access token| without a session token| with access token "[^"]*")?$`, w.callerLists)
	sc.Step(`^a logged-in caller posts a delete whose body is (.+)$`, w.postMalformed)
	sc.Step(`^the answer is (\d+) with fault "([^"]*)"$`, w.answerFault)
	sc.Step(`^the answer is (\d+) with error "([^"]*)" naming "([^"]*)"$`, w.answerError)
}

func (w *world) reset() error { return w.admin.Reset(context.Background()) }

func (w *world) assignScenario(eid, name string) error {
	return w.admin.AssignScenario(context.Background(), eid, name)
}

func (w *world) minutesPass(n int) error {
	if n == 0 {
		return nil
	}
	_, err := w.admin.Advance(context.Background(), time.Duration(n)*time.Minute)
	return err
}

func (w *world) device(eid string) (client.SimDevice, error) {
	return w.admin.Device(context.Background(), eid)
}

func (w *world) hasEnabled(eid, iccid string) error {
	d, err := w.device(eid)
	if err != nil {
		return err
	}
	if d.Enabled() != iccid {
		return fmt.Errorf("device %s has %s enabled, not %s (profiles %+v)", eid, d.Enabled(), iccid, d.Profiles)
	}
	return nil
}

func (w *world) noLongerHolds(eid, iccid string) error {
	d, err := w.device(eid)
	if err != nil {
		return err
	}
	for _, p := range d.Profiles {
		if p.ICCID == iccid {
			return fmt.Errorf("device %s still holds %s: %+v", eid, iccid, d.Profiles)
		}
	}
	return nil
}

func (w *world) isPending(eid string) error {
	d, err := w.device(eid)
	if err != nil {
		return err
	}
	if d.Pending == nil {
		return fmt.Errorf("device %s has no pending action", eid)
	}
	return nil
}

func (w *world) journal(eid string) ([]client.SimCallback, error) {
	id, err := w.request("")
	if err != nil {
		return nil, err
	}
	if err := w.awaitAttempts(); err != nil {
		return nil, err
	}
	return w.admin.Callbacks(context.Background(), client.CallbackQuery{RequestID: id, EID: eid})
}

func (w *world) simulatorSent(n int, eid string) error {
	cbs, err := w.journal(eid)
	if err != nil {
		return err
	}
	if len(cbs) != n {
		return fmt.Errorf("the simulator sent %d callbacks for %s, not %d", len(cbs), eid, n)
	}
	return nil
}

func (w *world) attemptsApart(n int, eid string, minutes int) error {
	cbs, err := w.journal(eid)
	if err != nil {
		return err
	}
	if len(cbs) != 1 {
		return fmt.Errorf("%d callbacks for %s, want 1", len(cbs), eid)
	}
	at := cbs[0].Attempts
	if len(at) != n {
		return fmt.Errorf("%d attempts, want %d: %+v", len(at), n, at)
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Time.Sub(at[i-1].Time); gap != time.Duration(minutes)*time.Minute {
			return fmt.Errorf("attempt %d came %s after the one before", i+1, gap)
		}
		if at[i].CallbackCount != i+1 {
			return fmt.Errorf("attempt %d has callbackCount %d", i+1, at[i].CallbackCount)
		}
	}
	return nil
}

func (w *world) registerListener(account string) error {
	drv, err := w.client()
	if err != nil {
		return err
	}
	return drv.register(account, w.proxy.callbackURL)
}

func (w *world) listenerFails(status, n int) error {
	w.proxy.failFirst(n, status)
	return nil
}

func (w *world) acksLost(count string) error {
	n := 1
	if count != "" {
		var err error
		if n, err = strconv.Atoi(strings.TrimSpace(count)); err != nil {
			return err
		}
	}
	w.proxy.loseFirst(n)
	return nil
}

func (w *world) holdAnswers() error {
	if w.started {
		return errors.New("the client already started: hold the answers before its first call")
	}
	w.heldAnswers = true
	return nil
}

func (w *world) addDevices(n int, account string) error {
	ctx := context.Background()
	for i := range n {
		d := client.SimDevice{
			EID: fmt.Sprintf("89049033%024d", i), Account: account, State: "Active",
			IMEI: fmt.Sprintf("35%013d", i), MDN: fmt.Sprintf("6%09d", i), IPAddress: "10.0.0.1", ServicePlan: "RP4235311",
			Profiles: []client.SimProfile{
				{ICCID: fmt.Sprintf("8901%016d", i), Type: "bootstrap", Status: "disabled"},
				{ICCID: fmt.Sprintf("8914%016d", i), Type: "local", Status: "enabled"},
			},
		}
		if err := w.admin.PutDevice(ctx, d); err != nil {
			return err
		}
		w.added = append(w.added, device{EID: d.EID, ICCID: d.Profiles[1].ICCID})
	}
	return nil
}

func (w *world) deleteAdded() error { return w.deleteDevices(demoAccount, w.added) }

func (w *world) finalForAdded(status string) error {
	res, err := w.results("")
	if err != nil {
		return err
	}
	if len(res.Final) != len(w.added) {
		return fmt.Errorf("the client has final results for %d of the %d devices", len(res.Final), len(w.added))
	}
	for _, r := range res.Final {
		if r.Status != status {
			return fmt.Errorf("the final result for %s is %+v, want %s", r.EID, r, status)
		}
	}
	return nil
}

func (w *world) ackedAll() error {
	if err := w.awaitAttempts(); err != nil {
		return err
	}
	answers := w.proxy.listenerAnswers()
	if len(answers) == 0 {
		return errors.New("the client's listener was given no callback")
	}
	for i, status := range answers {
		if status/100 != 2 {
			return fmt.Errorf("the client's listener answered callback %d of %d with %d", i+1, len(answers), status)
		}
	}
	return nil
}

func (w *world) postGarbage() error {
	if _, err := w.client(); err != nil {
		return err
	}
	var err error
	w.status, err = w.proxy.postToListener([]byte(`{"requestId": not JSON`))
	return err
}

func (w *world) answered4xx() error {
	if w.status/100 != 4 {
		return fmt.Errorf("the client's listener answered %d to a body that is not JSON: a 2xx drops it silently, a 5xx makes ThingSpace send it again and again", w.status)
	}
	return nil
}

func (w *world) useSecret(secret string) error {
	if w.started {
		return errors.New("the client already started")
	}
	w.secret = secret
	return nil
}

func (w *world) deleteDevices(account string, devices []device) error {
	drv, err := w.client()
	if err != nil {
		return err
	}
	id, err := drv.delete(account, demoSMSROID, devices)
	w.lastErr = err
	var ae *apiError
	if err != nil && !errors.As(err, &ae) {
		return err
	}
	if err == nil {
		w.requests = append(w.requests, id)
	}
	return nil
}

func (w *world) deleteOne(iccid, eid string) error {
	return w.deleteDevices(demoAccount, []device{{eid, iccid}})
}

func (w *world) deleteOf(iccid, eid, account string) error {
	return w.deleteDevices(account, []device{{eid, iccid}})
}

func (w *world) deleteTable(t *godog.Table) error {
	var devs []device
	for _, row := range t.Rows[1:] {
		devs = append(devs, device{EID: row.Cells[0].Value, ICCID: row.Cells[1].Value})
	}
	return w.deleteDevices(demoAccount, devs)
}

func (w *world) accepted() error {
	if w.lastErr != nil {
		return fmt.Errorf("the request was refused: %v", w.lastErr)
	}
	return nil
}

func (w *world) refused(status int, code string) error {
	var ae *apiError
	if !errors.As(w.lastErr, &ae) {
		return fmt.Errorf("the request was not refused (error %v)", w.lastErr)
	}
	if ae.Status != status || ae.Code != code {
		return fmt.Errorf("refused with %d %s, want %d %s", ae.Status, ae.Code, status, code)
	}
	return nil
}

func byEID(rs []result, eid string) []result {
	var out []result
	for _, r := range rs {
		if r.EID == eid {
			out = append(out, r)
		}
	}
	return out
}

func (w *world) hasReceived(what, eid string) error {
	res, err := w.results("")
	if err != nil {
		return err
	}
	got := byEID(res.Received, eid)
	final := byEID(res.Final, eid)
	switch what {
	case "nothing":
		if len(got) != 0 {
			return fmt.Errorf("received %+v", got)
		}
	case "only a warning":
		if len(got) != 1 || got[0].Final || len(final) != 0 {
			return fmt.Errorf("received %+v, final %+v; want one warning", got, final)
		}
	case "a final result":
		if len(final) != 1 {
			return fmt.Errorf("no final result; received %+v", got)
		}
	}
	return nil
}

func (w *world) receivedCount(n int, eid string) error {
	res, err := w.results("")
	if err != nil {
		return err
	}
	if got := byEID(res.Received, eid); len(got) != n {
		return fmt.Errorf("the client took %d callbacks for %s, not %d: %+v", len(got), eid, n, got)
	}
	return nil
}

func (w *world) final(which, eid string) (result, error) {
	res, err := w.results(which)
	if err != nil {
		return result{}, err
	}
	f := byEID(res.Final, eid)
	if len(f) != 1 {
		return result{}, fmt.Errorf("no final result for %s; received %+v", eid, byEID(res.Received, eid))
	}
	return f[0], nil
}

func (w *world) finalIs(which, eid, status, field, value string) error {
	r, err := w.final(which, eid)
	if err != nil {
		return err
	}
	got := r.EUICCStatus
	if field == "code" {
		got = r.Code
	}
	if r.Status != status || got != value || r.Succeeded != (status == "Success") {
		return fmt.Errorf("final result %+v, want %s with %s %s", r, status, field, value)
	}
	return nil
}

func (w *world) finalCount(eid string, n int) error {
	r, err := w.final("", eid)
	if err != nil {
		return err
	}
	if r.CallbackCount != n {
		return fmt.Errorf("final result came with callbackCount %d, want %d", r.CallbackCount, n)
	}
	return nil
}

func (w *world) finalCode(eid, code string) error {
	r, err := w.final("", eid)
	if err != nil {
		return err
	}
	if r.Code != code {
		return fmt.Errorf("final result code %s, want %s", r.Code, code)
	}
	return nil
}

func (w *world) finalTable(t *godog.Table) error {
	for _, row := range t.Rows[1:] {
		if err := w.finalIs("", row.Cells[0].Value, row.Cells[1].Value, "euicc status", row.Cells[2].Value); err != nil {
			return err
		}
	}
	return nil
}

// raw HTTP steps

func (w *world) callerLogsIn() error {
	c, err := client.New(w.cfg.simURL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"))
	if err != nil {
		return err
	}
	ctx := context.Background()
	if w.token, err = c.Token(ctx); err != nil {
		return err
	}
	w.session, err = c.Login(ctx)
	return err
}

func (w *world) send(method, path string, header http.Header, body string) error {
	req, err := http.NewRequest(method, w.cfg.simURL+path, strings.NewReader(body))
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

func (w *world) callerLists(account, how string) error {
	if w.token == "" {
		if err := w.callerLogsIn(); err != nil {
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
	return w.send(http.MethodGet, "/api/m2m/v1/callbacks/"+account, h, "")
}

func (w *world) postMalformed(what string) error {
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
	if err := w.callerLogsIn(); err != nil {
		return err
	}
	return w.send(http.MethodPost, "/api/m2m/v1/devices/profile/actions/delete", w.authHeader(), body)
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

package features

import (
	"context"
	"errors"
	"fmt"

	"github.com/cucumber/godog"

	"github.com/tssim/tssim/client"
)

// The client under test: its requests and what it took of the callbacks.

func (w *world) registerListener(account string) error {
	return w.registerFor(client.ServiceDeviceProfile, account)
}

func (w *world) registerFor(service, account string) error {
	drv, err := w.client()
	if err != nil {
		return err
	}
	return drv.register(account, w.proxy.callbackURL, service)
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
	return w.accept(drv.delete(account, demoSMSROID, devices))
}

// accept notes what came of a request that starts an action: its
// requestId, or the refusal for a later step to check; any other error
// fails the step.
func (w *world) accept(id string, err error) error {
	if err := w.noteRefusal(err); err != nil {
		return err
	}
	if w.lastErr == nil {
		w.requests = append(w.requests, id)
	}
	return nil
}

// noteRefusal keeps a request's refusal (or nil) for a later step to
// check; any other error fails the step.
func (w *world) noteRefusal(err error) error {
	w.lastErr = err
	var ae *apiError
	if err != nil && !errors.As(err, &ae) {
		return err
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

func (w *world) hasReceived(ctx context.Context, what, eid string) (err error) {
	defer w.explain(ctx, &err)
	res, err := w.results(ctx, "")
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

func (w *world) receivedCount(ctx context.Context, n int, eid string) (err error) {
	defer w.explain(ctx, &err)
	res, err := w.results(ctx, "")
	if err != nil {
		return err
	}
	if got := byEID(res.Received, eid); len(got) != n {
		return fmt.Errorf("the client took %d callbacks for %s, not %d: %+v", len(got), eid, n, got)
	}
	return nil
}

func (w *world) final(ctx context.Context, which, eid string) (r result, err error) {
	defer w.explain(ctx, &err)
	res, err := w.results(ctx, which)
	if err != nil {
		return result{}, err
	}
	f := byEID(res.Final, eid)
	if len(f) != 1 {
		return result{}, fmt.Errorf("no final result for %s; received %+v", eid, byEID(res.Received, eid))
	}
	return f[0], nil
}

func (w *world) finalIs(ctx context.Context, which, eid, status, field, value string) error {
	r, err := w.final(ctx, which, eid)
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

func (w *world) finalCount(ctx context.Context, eid string, n int) error {
	r, err := w.final(ctx, "", eid)
	if err != nil {
		return err
	}
	if r.CallbackCount != n {
		return fmt.Errorf("final result came with callbackCount %d, want %d", r.CallbackCount, n)
	}
	return nil
}

func (w *world) finalCode(ctx context.Context, eid, code string) error {
	r, err := w.final(ctx, "", eid)
	if err != nil {
		return err
	}
	if r.Code != code {
		return fmt.Errorf("final result code %s, want %s", r.Code, code)
	}
	return nil
}

func (w *world) finalTable(ctx context.Context, t *godog.Table) error {
	for _, row := range t.Rows[1:] {
		if err := w.finalIs(ctx, "", row.Cells[0].Value, row.Cells[1].Value, "euicc status", row.Cells[2].Value); err != nil {
			return err
		}
	}
	return nil
}

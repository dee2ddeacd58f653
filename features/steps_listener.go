package features

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tssim/tssim/client"
)

// The client's listener, graded as ThingSpace treats it: the suite's
// proxy fails or loses acknowledgements, holds answers, and posts bodies of
// its own.

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
	if err := w.throughProxy("hold the answers"); err != nil {
		return err
	}
	w.proxy.holding.Store(true)
	return nil
}

func (w *world) addDevices(ctx context.Context, n int, account string) error {
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

func (w *world) finalForAdded(ctx context.Context, status string) (err error) {
	defer w.explain(ctx, &err)
	res, err := w.results(ctx, "")
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

func (w *world) ackedAll(ctx context.Context) (err error) {
	defer w.explain(ctx, &err)
	if err := w.awaitAttempts(ctx); err != nil {
		return err
	}
	ds, dropped := w.proxy.snapshot()
	if len(ds) == 0 && dropped == 0 {
		return errors.New("the client's listener was given no callback")
	}
	timeout := w.cfg.callbackTimeout
	for i, d := range ds {
		which := fmt.Sprintf("callback %d of %d (EID %s, attempt %d)", i+1, len(ds)+dropped, d.eid, d.count)
		switch {
		case d.done && d.err == nil && d.status == 0: // the suite answered in the listener's place
			continue
		case !d.done && time.Since(d.start) > timeout:
			return fmt.Errorf("the client's listener had not answered %s after %s: late, ThingSpace waits %s, then counts the callback as failed and sends it again",
				which, time.Since(d.start).Round(time.Millisecond), timeout)
		case !d.done:
			continue
		case d.err != nil:
			what, _ := transportTrouble(d.err, timeout)
			return fmt.Errorf("the suite could not give the client's listener %s: %s (%v)", which, what, d.err)
		case d.took > timeout:
			return fmt.Errorf("the client's listener answered %s with %d after %s: late, ThingSpace waits %s, then counts the callback as failed and sends it again",
				which, d.status, d.took.Round(time.Millisecond), timeout)
		case d.status/100 != 2:
			return fmt.Errorf("the client's listener answered %s with %d", which, d.status)
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

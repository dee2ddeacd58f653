package features

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

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
	if w.started {
		return errors.New("the client already started: hold the answers before its first call")
	}
	w.heldAnswers = true
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

func (w *world) finalForAdded(ctx context.Context, status string) error {
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

func (w *world) ackedAll(ctx context.Context) error {
	if err := w.awaitAttempts(ctx); err != nil {
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

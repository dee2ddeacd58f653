package features

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tssim/tssim/client"
)

// The steps of the capabilities beyond the base protocol, which a client
// declares in hello (optionalCapabilities): Retry-After, request status,
// and the CarrierService line changes.

// retryAfterSlack is how much sooner than Retry-After a retry may come
// and still count: some runtimes' timers fire a millisecond early.
const retryAfterSlack = 20 * time.Millisecond

// deletePath is the end of the path of the profile delete.
const deletePath = "/devices/profile/actions/delete"

// throttle makes the simulator answer the client's next deletes with a
// status and a Retry-After, by a fault rule (the "delete" route), and
// has the client reach the simulator through the proxy, which times its
// calls.
func (w *world) throttle(ctx context.Context, times string, status, seconds int) error {
	if err := w.throughProxy("throttle its deletes"); err != nil {
		return err
	}
	n := 1
	if times != "" {
		var err error
		if n, err = strconv.Atoi(times); err != nil {
			return err
		}
	}
	_, err := w.admin.AddFault(ctx, client.SimFaultRule{Route: "delete", Status: status, RetryAfter: fmt.Sprintf("%ds", seconds), Times: n})
	return err
}

// honouredRetryAfter checks each delete the simulator answered 429 or 503:
// the client sent it again, and no sooner than Retry-After said.
func (w *world) honouredRetryAfter() error {
	calls := w.proxy.callsTo(deletePath)
	throttled := 0
	for i, c := range calls {
		if c.status != http.StatusTooManyRequests && c.status != http.StatusServiceUnavailable {
			continue
		}
		throttled++
		secs, err := strconv.Atoi(c.retryAfter)
		if err != nil {
			return fmt.Errorf("the simulator answered delete %d of %d with %d and Retry-After %q: not seconds", i+1, len(calls), c.status, c.retryAfter)
		}
		wait := time.Duration(secs) * time.Second
		if i+1 == len(calls) {
			return fmt.Errorf("the client did not send the delete again after ThingSpace answered it %d with \"Retry-After: %d\" (%d deletes sent)", c.status, secs, len(calls))
		}
		if gap := calls[i+1].start.Sub(c.end); gap < wait-retryAfterSlack {
			return fmt.Errorf("the client sent the delete again %s after ThingSpace answered it %d with \"Retry-After: %d\": it must wait at least %s",
				gap.Round(time.Millisecond), c.status, secs, wait)
		}
	}
	if throttled == 0 {
		return fmt.Errorf("ThingSpace throttled none of the client's %d deletes: the scenario's fault did not fire", len(calls))
	}
	return nil
}

func (w *world) reportsStatus(want string) error {
	id, err := w.request("")
	if err != nil {
		return err
	}
	drv, err := w.client()
	if err != nil {
		return err
	}
	got, err := drv.status(demoAccount, id)
	if err != nil {
		return fmt.Errorf("asking the status of request %s: %w", id, err)
	}
	if got != want {
		return fmt.Errorf("the client reports the status of request %s as %q, want %q (ThingSpace's own word, as its answer wrote it)", id, got, want)
	}
	return nil
}

func (w *world) asksStatus(id string) error {
	drv, err := w.client()
	if err != nil {
		return err
	}
	_, err = drv.status(demoAccount, id)
	return w.noteRefusal(err)
}

func (w *world) changeLine(verb, eid string) error {
	drv, err := w.client()
	if err != nil {
		return err
	}
	action := map[string]string{"suspends": client.LineSuspend, "restores": client.LineRestore}[verb]
	return w.accept(drv.lineChange(action, demoAccount, []string{eid}))
}

func (w *world) finalLine(ctx context.Context, eid, status, state string) error {
	r, err := w.final(ctx, "", eid)
	if err != nil {
		return err
	}
	if r.Status != status || r.State != state || r.Succeeded != (status == "Success") {
		return fmt.Errorf("final result %+v, want %s with line state %s", r, status, state)
	}
	return nil
}

func (w *world) hasState(ctx context.Context, eid, state string) error {
	d, err := w.device(ctx, eid)
	if err != nil {
		return err
	}
	if d.State != state {
		return fmt.Errorf("device %s is %s, not %s", eid, d.State, state)
	}
	return nil
}

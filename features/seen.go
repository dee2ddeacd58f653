package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/tssim/tssim/client"
)

// When a step about what the client took fails, the cause is often its
// listener: refused connections, answers that came too late or not at
// all, 5xx. The simulator's callback journal has every attempt, and the
// suite's proxy (the URL the simulator calls) what the listener did with
// each; explain puts the two together under the failure.

// Bounds of what explain reads and says.
const (
	journalPage  = 1000
	journalPages = 20 // the burst's 1,000 callbacks many times over
	examples     = 3  // EIDs named per kind of trouble
)

// explain appends to a failed step's error what tssim saw delivering the
// scenario's callbacks, when an attempt failed through the listener's
// doing. The journal must be read before the scenario's world is gone.
func (w *world) explain(ctx context.Context, err *error) {
	if *err == nil || w.proxy == nil {
		return
	}
	if seen := w.seen(ctx); seen != "" {
		*err = fmt.Errorf("%w\n%s", *err, seen)
	}
}

// trouble is one kind of failed attempt: how many, the first few, and
// what it suggests.
type trouble struct {
	what, hint string
	n          int
	first      []string
}

// seen describes the failed attempts of the scenario's callbacks, or ""
// when none failed but on the suite's purpose.
func (w *world) seen(ctx context.Context) string {
	journal, complete, err := w.readJournal(ctx)
	if err != nil {
		return "(the callback journal could not be read: " + err.Error() + ")"
	}
	var troubles []*trouble
	byWhat := map[string]*trouble{}
	undelivered, devices, firstDevices := 0, map[string]bool{}, []string{}
	for _, c := range journal {
		if c.State != "delivered" {
			undelivered++
			if !devices[c.EID] && len(firstDevices) < examples {
				firstDevices = append(firstDevices, "EID "+c.EID)
			}
			devices[c.EID] = true
		}
		for _, a := range c.Attempts {
			if a.Error == "" {
				continue
			}
			what, hint, example := w.attemptTrouble(c, a)
			if what == "" {
				continue
			}
			t, ok := byWhat[what]
			if !ok {
				t = &trouble{what: what, hint: hint}
				byWhat[what] = t
				troubles = append(troubles, t)
			}
			t.n++
			if len(t.first) < examples {
				t.first = append(t.first, example)
			}
		}
	}
	if len(troubles) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("what tssim saw delivering callbacks to the client's listener (its callback journal):\n")
	fmt.Fprintf(&b, "  %d %s", len(journal), plural(len(journal), "callback"))
	if !complete {
		b.WriteString(" (the journal's first)")
	}
	if undelivered > 0 {
		fmt.Fprintf(&b, "; %d not delivered (%d %s: %s)", undelivered, len(devices), plural(len(devices), "device"), listSome(firstDevices, len(devices)))
	}
	b.WriteString("\n")
	for _, t := range troubles {
		fmt.Fprintf(&b, "  %d %s %s: %s\n", t.n, plural(t.n, "attempt"), t.what, listSome(t.first, t.n))
		if t.hint != "" {
			fmt.Fprintf(&b, "    hint: %s\n", t.hint)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// readJournal reads the world's callbacks, page by page, up to
// journalPages; complete says whether it read them all.
func (w *world) readJournal(ctx context.Context) (all []client.SimCallback, complete bool, err error) {
	after := 0
	for range journalPages {
		page, err := w.admin.Callbacks(ctx, client.CallbackQuery{After: after, Limit: journalPage})
		if err != nil {
			return nil, false, err
		}
		all = append(all, page...)
		if len(page) < journalPage {
			return all, true, nil
		}
		after = page[len(page)-1].Seq
	}
	return all, false, nil
}

// attemptTrouble says what went wrong with one failed attempt, a hint,
// and the attempt as an example; what is "" when the suite failed it on
// purpose.
func (w *world) attemptTrouble(c client.SimCallback, a client.SimAttempt) (what, hint, example string) {
	example = fmt.Sprintf("EID %s (attempt %d)", c.EID, a.CallbackCount)
	timeout := w.cfg.callbackTimeout
	d, ok := w.proxy.lookup(deliveryKey{requestID: c.RequestID, eid: c.EID, count: a.CallbackCount})
	switch {
	case !ok && strings.Contains(a.Error, "listener registered"):
		return "failed: " + strings.TrimSpace(a.Error),
			"each callback service has a registration of its own: register the listener for the service the callback goes to (register's \"service\")", example
	case !ok:
		return "failed: " + strings.TrimSpace(a.Error), "", example
	case d.injected != "":
		return "", "", ""
	case d.err != nil:
		what, hint := transportTrouble(d.err, timeout)
		return what, hint, example
	case !d.done:
		return fmt.Sprintf("had no answer within %s", timeout), slowHint(timeout), example
	case d.took > timeout:
		return fmt.Sprintf("answered late, after the %s tssim waits", timeout),
			"an answer after the timeout counts as failed, even a 2xx, and the callback comes again: answer first, then do the work",
			fmt.Sprintf("%s: %d after %s", example, d.status, d.took.Round(time.Millisecond))
	case d.status/100 == 5:
		return fmt.Sprintf("answered %d", d.status), "after a 5xx ThingSpace sends the callback again: answer 2xx once the callback is taken, also for a duplicate", example
	case d.status/100 == 4:
		return fmt.Sprintf("answered %d", d.status), "a 4xx is for a body the listener cannot read; ThingSpace sends the callback again", example
	case d.status/100 != 2:
		return fmt.Sprintf("answered %d", d.status), "only a 2xx acknowledges a callback", example
	}
	return "failed: " + strings.TrimSpace(a.Error), "", example
}

// transportTrouble names what kept the proxy from the listener's answer.
func transportTrouble(err error, timeout time.Duration) (what, hint string) {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused at connect", "connections refused at connect: a listen backlog too small, or a listener that is not listening (yet)?"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("had no answer within %s", timeout), slowHint(timeout)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed without an answer", "the listener closed the connection before it answered: did it crash, or close connections it had no room for?"
	}
	return "failed: " + err.Error(), ""
}

func slowHint(timeout time.Duration) string {
	return fmt.Sprintf("no answer within %s: a listener that does its work before it answers, or takes one callback at a time? Answer first, then work", timeout)
}

// listSome lists the first few of n things.
func listSome(first []string, n int) string {
	s := strings.Join(first, ", ")
	if n > len(first) {
		s += fmt.Sprintf(" and %d more", n-len(first))
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

package features

import (
	"context"
	"fmt"
	"time"

	"github.com/cucumber/godog"

	"github.com/tssim/tssim/client"
)

// steps registers every step; each is a line over the world. The steps
// of the simulator are in this file; those of the client under test, of
// its listener and of raw HTTP in steps_*.go.
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

	// The capabilities a client declares (steps_optional.go).
	sc.Step(`^the client's listener is registered as the (DeviceProfileService|CarrierService) listener of account "([^"]*)"$`, w.registerFor)
	sc.Step(`^ThingSpace answers the client's next (?:(\d+) )?deletes? with (\d+) and "Retry-After: (\d+)"$`, w.throttle)
	sc.Step(`^the client sent each delete again no sooner than its Retry-After said$`, w.honouredRetryAfter)
	sc.Step(`^the client reports the status of the request as "([^"]*)"$`, w.reportsStatus)
	sc.Step(`^the client asks the status of request "([^"]*)"$`, w.asksStatus)
	sc.Step(`^the client (suspends|restores) the line of device "([^"]*)"$`, w.changeLine)
	sc.Step(`^the client's final result for device "([^"]*)" is "([^"]*)" with line state "([^"]*)"$`, w.finalLine)
	sc.Step(`^device "([^"]*)" has service state "([^"]*)"$`, w.hasState)

	// Raw HTTP, for what no client would send.
	sc.Step(`^a caller logged in$`, w.callerLogsIn)
	sc.Step(`^(?:a|the) caller lists the callbacks of account "([^"]*)"( without an access token| without a session token| with access token "[^"]*")?$`, w.callerLists)
	sc.Step(`^a logged-in caller posts a delete whose body is (.+)$`, w.postMalformed)
	sc.Step(`^the answer is (\d+) with fault "([^"]*)"$`, w.answerFault)
	sc.Step(`^the answer is (\d+) with error "([^"]*)" naming "([^"]*)"$`, w.answerError)
}

func (w *world) reset(ctx context.Context) error { return w.admin.Reset(ctx) }

func (w *world) assignScenario(ctx context.Context, eid, name string) error {
	return w.admin.AssignScenario(ctx, eid, name)
}

func (w *world) minutesPass(ctx context.Context, n int) error {
	if n == 0 {
		return nil
	}
	_, err := w.admin.Advance(ctx, time.Duration(n)*time.Minute)
	return err
}

func (w *world) device(ctx context.Context, eid string) (client.SimDevice, error) {
	return w.admin.Device(ctx, eid)
}

func (w *world) hasEnabled(ctx context.Context, eid, iccid string) error {
	d, err := w.device(ctx, eid)
	if err != nil {
		return err
	}
	if d.Enabled() != iccid {
		return fmt.Errorf("device %s has %s enabled, not %s (profiles %+v)", eid, d.Enabled(), iccid, d.Profiles)
	}
	return nil
}

func (w *world) noLongerHolds(ctx context.Context, eid, iccid string) error {
	d, err := w.device(ctx, eid)
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

func (w *world) isPending(ctx context.Context, eid string) error {
	d, err := w.device(ctx, eid)
	if err != nil {
		return err
	}
	if d.Pending == nil {
		return fmt.Errorf("device %s has no pending action", eid)
	}
	return nil
}

func (w *world) journal(ctx context.Context, eid string) ([]client.SimCallback, error) {
	id, err := w.request("")
	if err != nil {
		return nil, err
	}
	if err := w.awaitAttempts(ctx); err != nil {
		return nil, err
	}
	return w.admin.Callbacks(ctx, client.CallbackQuery{RequestID: id, EID: eid})
}

func (w *world) simulatorSent(ctx context.Context, n int, eid string) error {
	cbs, err := w.journal(ctx, eid)
	if err != nil {
		return err
	}
	if len(cbs) != n {
		return fmt.Errorf("the simulator sent %d callbacks for %s, not %d", len(cbs), eid, n)
	}
	return nil
}

func (w *world) attemptsApart(ctx context.Context, n int, eid string, minutes int) error {
	cbs, err := w.journal(ctx, eid)
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

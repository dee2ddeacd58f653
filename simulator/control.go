package simulator

import (
	"context"
	"strconv"
	"time"

	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/fault"
	"github.com/tssim/tssim/internal/tserr"
)

// controlRoutes are the simulator's own API, under /_sim/.
func (s *Server) controlRoutes() []route {
	return []route{
		{"GET", "/_sim/health", accessOpen, "", s.health, ""},
		{"POST", "/_sim/reset", accessAdmin, "", s.reset, ""},
		{"GET", "/_sim/devices", accessAdmin, "", s.listDevices, ""},
		{"GET", "/_sim/devices/{eid}", accessAdmin, "", s.getDevice, ""},
		{"PUT", "/_sim/devices/{eid}", accessAdmin, "device.json", withBody(s, "device.json", s.putDevice), ""},
		{"PUT", "/_sim/devices/{eid}/scenario", accessAdmin, "control.json#scenario", withBody(s, "control.json#scenario", s.putDeviceScenario), ""},
		{"PUT", "/_sim/accounts/{account}/scenario", accessAdmin, "control.json#scenario", withBody(s, "control.json#scenario", s.putAccountScenario), ""},
		{"POST", "/_sim/users/{username}/unlock", accessAdmin, "", s.unlockUser, ""},
		{"GET", "/_sim/scenarios", accessAdmin, "", s.listScenarios, ""},
		{"GET", "/_sim/requests", accessAdmin, "", s.listRequests, ""},
		{"GET", "/_sim/callbacks", accessAdmin, "", s.listCallbackRecords, ""},
		{"GET", "/_sim/delivery", accessAdmin, "", s.deliveryStats, ""},
		{"GET", "/_sim/clock", accessAdmin, "", s.getClock, ""},
		{"POST", "/_sim/clock/advance", accessAdmin, "control.json#advance", withBody(s, "control.json#advance", s.advanceClock), ""},
		{"GET", "/_sim/faults", accessAdmin, "", s.listFaults, ""},
		{"POST", "/_sim/faults", accessAdmin, "control.json#fault-rule", withBody(s, "control.json#fault-rule", s.addFault), ""},
		{"DELETE", "/_sim/faults", accessAdmin, "", s.clearFaults, ""},
		{"DELETE", "/_sim/faults/{id}", accessAdmin, "", s.removeFault, ""},
	}
}

func (s *Server) health(*call) (any, error) { return map[string]string{"status": "ok"}, nil }

func (s *Server) reset(*call) (any, error) {
	s.Reset()
	return map[string]string{"status": "reset"}, nil
}

func (s *Server) listDevices(*call) (any, error) { return s.sim.Devices(), nil }

func (s *Server) getDevice(c *call) (any, error) { return s.sim.Device(c.vars["eid"]) }

func (s *Server) putDevice(c *call, d *domain.Device) (any, error) {
	if d.EID != c.vars["eid"] {
		return nil, tserr.BadRequest(tserr.CodeDeviceIDInvalid, "/eid: %s does not match the path's EID %s", d.EID, c.vars["eid"])
	}
	if err := s.sim.PutDevice(d); err != nil {
		return nil, err
	}
	return s.sim.Device(d.EID)
}

type scenarioAssignment struct {
	Scenario string `json:"scenario"`
}

func (s *Server) putDeviceScenario(c *call, in *scenarioAssignment) (any, error) {
	if err := s.sim.AssignScenario(c.vars["eid"], in.Scenario); err != nil {
		return nil, err
	}
	return s.sim.Device(c.vars["eid"])
}

func (s *Server) putAccountScenario(c *call, in *scenarioAssignment) (any, error) {
	return in, s.sim.AssignAccountScenario(c.vars["account"], in.Scenario)
}

func (s *Server) unlockUser(c *call) (any, error) {
	s.sim.Unlock(c.vars["username"])
	return map[string]string{"username": c.vars["username"], "status": "unlocked"}, nil
}

func (s *Server) listScenarios(*call) (any, error) { return s.sim.Scenarios(), nil }

func (s *Server) deliveryStats(*call) (any, error) { return s.dispatcher.Stats(), nil }

// defaultPage is how many records a journal page holds when the query
// names no limit.
const defaultPage = 1000

// page reads a journal query's after and limit.
func page(c *call) (after, limit int, err error) {
	q := c.r.URL.Query()
	if after, err = queryInt(q.Get("after"), "after"); err != nil {
		return 0, 0, err
	}
	if limit, err = queryInt(q.Get("limit"), "limit"); err != nil {
		return 0, 0, err
	}
	if limit == 0 {
		limit = defaultPage
	}
	return after, limit, nil
}

func (s *Server) listRequests(c *call) (any, error) {
	after, limit, err := page(c)
	if err != nil {
		return nil, err
	}
	records, next := s.requests.page(after, limit)
	c.nextPage = next
	return records, nil
}

// MaxWait bounds how long GET /_sim/callbacks?wait= holds an answer.
const MaxWait = 2 * time.Minute

func (s *Server) listCallbackRecords(c *call) (any, error) {
	q := c.r.URL.Query()
	after, limit, err := page(c)
	if err != nil {
		return nil, err
	}
	f := delivery.Filter{RequestID: q.Get("requestId"), EID: q.Get("eid"), After: after, Limit: limit}
	if q.Get("wait") == "" {
		records, next := s.callbacks.Records(f)
		c.nextPage = next
		return records, nil
	}
	wait, err := time.ParseDuration(q.Get("wait"))
	if err != nil || wait < 0 || wait > MaxWait {
		return nil, tserr.BadRequest(tserr.CodeUnexpected, "wait: %q is not a duration between 0s and %s", q.Get("wait"), MaxWait)
	}
	min, err := queryInt(q.Get("min"), "min")
	if err != nil {
		return nil, err
	}
	attempts, err := queryInt(q.Get("attempts"), "attempts")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), wait)
	defer cancel()
	records, next := s.callbacks.Wait(ctx, f, min, attempts)
	c.nextPage = next
	return records, nil
}

func queryInt(v, name string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, tserr.BadRequest(tserr.CodeUnexpected, "%s: %q is not a whole number of 0 or more", name, v)
	}
	return n, nil
}

type clockView struct {
	Now       time.Time `json:"now"`
	Mode      string    `json:"mode"`
	TimeScale float64   `json:"timeScale,omitempty"`
}

func (s *Server) clockView() clockView {
	v := clockView{Now: s.clock.Now(), Mode: s.opts.Clock}
	if s.manual == nil {
		v.TimeScale = s.opts.TimeScale
	}
	return v
}

func (s *Server) getClock(*call) (any, error) { return s.clockView(), nil }

type advance struct {
	By domain.Duration `json:"by"`
}

func (s *Server) advanceClock(_ *call, in *advance) (any, error) {
	if s.manual == nil {
		return nil, tserr.New(409, tserr.CodeSimNotManualClock, "the clock is real: start tssim with --clock manual to advance it")
	}
	s.manual.Advance(time.Duration(in.By), s.awaitAttempts)
	return s.clockView(), nil
}

// awaitAttempts waits for the callback attempts under way, so that the retries
// they schedule fall at the right time on the manual clock. A listener that
// hangs holds it for one attempt's timeout at most.
func (s *Server) awaitAttempts() {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CallbackTimeout+time.Second)
	defer cancel()
	_ = s.dispatcher.Idle(ctx)
}

func (s *Server) listFaults(*call) (any, error) { return s.faults.List(), nil }

func (s *Server) addFault(_ *call, r *fault.Rule) (any, error) { return s.faults.Add(*r), nil }

func (s *Server) clearFaults(*call) (any, error) {
	s.faults.Clear()
	return s.faults.List(), nil
}

func (s *Server) removeFault(c *call) (any, error) {
	id, err := strconv.Atoi(c.vars["id"])
	if err != nil || !s.faults.Remove(id) {
		return nil, tserr.New(404, tserr.CodeSimFaultNotFound, "fault rule %s was not found (GET /_sim/faults lists them)", c.vars["id"])
	}
	return s.faults.List(), nil
}

package simulator

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/fault"
	"github.com/tssim/tssim/internal/tserr"
)

// controlRoutes are the simulator's own API, under /_sim/.
func (h *Server) controlRoutes() []*route {
	return []*route{
		{method: http.MethodGet, path: "/_sim/health", access: accessOpen, h: (*world).health},
		{method: http.MethodGet, path: "/_sim/ui", access: accessOpen, h: (*world).ui},
		{method: http.MethodPost, path: "/_sim/reset", access: accessAdmin, h: (*world).postReset},
		{method: http.MethodGet, path: "/_sim/devices", access: accessAdmin, h: (*world).listDevices},
		{method: http.MethodGet, path: "/_sim/devices/{eid}", access: accessAdmin, h: (*world).getDevice},
		{method: http.MethodPut, path: "/_sim/devices/{eid}", access: accessAdmin, schema: "device.json", h: withBody((*world).putDevice)},
		{method: http.MethodPut, path: "/_sim/devices/{eid}/scenario", access: accessAdmin, schema: "control.json#scenario", h: withBody((*world).putDeviceScenario)},
		{method: http.MethodPut, path: "/_sim/accounts/{account}/scenario", access: accessAdmin, schema: "control.json#scenario", h: withBody((*world).putAccountScenario)},
		{method: http.MethodPost, path: "/_sim/users/{username}/unlock", access: accessAdmin, h: (*world).unlockUser},
		{method: http.MethodGet, path: "/_sim/operations", access: accessOpen, h: listOperations},
		{method: http.MethodGet, path: "/_sim/openapi.json", access: accessOpen, h: h.openAPI},
		{method: http.MethodGet, path: "/_sim/openapi-control.json", access: accessOpen, h: h.openAPIControl},
		{method: http.MethodGet, path: "/_sim/scenarios", access: accessAdmin, h: (*world).listScenarios},
		{method: http.MethodGet, path: "/_sim/requests", access: accessAdmin, h: (*world).listRequests},
		{method: http.MethodGet, path: "/_sim/callbacks", access: accessAdmin, h: (*world).listCallbackRecords},
		{method: http.MethodGet, path: "/_sim/delivery", access: accessAdmin, h: (*world).deliveryStats},
		{method: http.MethodGet, path: "/_sim/clock", access: accessAdmin, h: (*world).getClock},
		{method: http.MethodPost, path: "/_sim/clock/advance", access: accessAdmin, schema: "control.json#advance", h: withBody((*world).advanceClock)},
		{method: http.MethodGet, path: "/_sim/faults", access: accessAdmin, h: (*world).listFaults},
		{method: http.MethodPost, path: "/_sim/faults", access: accessAdmin, schema: "control.json#fault-rule", h: withBody((*world).addFault)},
		{method: http.MethodDelete, path: "/_sim/faults", access: accessAdmin, h: (*world).clearFaults},
		{method: http.MethodDelete, path: "/_sim/faults/{id}", access: accessAdmin, h: (*world).removeFault},
		{method: http.MethodGet, path: "/_sim/worlds", access: accessRootAdmin, h: h.listWorlds},
		{method: http.MethodPut, path: "/_sim/worlds/{name}", access: accessRootAdmin, schema: "control.json#world", h: withBody(h.putWorld)},
		{method: http.MethodDelete, path: "/_sim/worlds/{name}", access: accessRootAdmin, h: h.deleteWorld},
	}
}

func (s *world) health(*call) (any, error) { return map[string]string{"status": "ok"}, nil }

func (s *world) postReset(*call) (any, error) {
	s.reset()
	return map[string]string{"status": "reset"}, nil
}

// listDevices lists the devices by EID, all of them, or a page of them:
// ?limit=N&after=EID, and ?eid=PREFIX for those whose EID starts so.
func (s *world) listDevices(c *call) (any, error) {
	q := c.R.URL.Query()
	limit, err := queryInt(q.Get("limit"), "limit")
	if err != nil {
		return nil, err
	}
	devices, next := s.sim.Devices(q.Get("eid"), q.Get("after"), limit)
	c.nextPage = next
	return devices, nil
}

// pageMark is a journal's next-page seq as NextPageHeader gives it.
func pageMark(seq int) string {
	if seq == 0 {
		return ""
	}
	return strconv.Itoa(seq)
}

func (s *world) getDevice(c *call) (any, error) { return s.sim.Device(c.Vars["eid"]) }

func (s *world) putDevice(c *call, d *domain.Device) (any, error) {
	if d.EID != c.Vars["eid"] {
		return nil, tserr.BadRequest(tserr.CodeDeviceIDInvalid, "/eid: %s does not match the path's EID %s", d.EID, c.Vars["eid"])
	}
	if err := s.sim.PutDevice(d); err != nil {
		return nil, err
	}
	return s.sim.Device(d.EID)
}

type scenarioAssignment struct {
	Scenario string `json:"scenario"`
}

func (s *world) putDeviceScenario(c *call, in *scenarioAssignment) (any, error) {
	if err := s.sim.AssignScenario(c.Vars["eid"], in.Scenario); err != nil {
		return nil, err
	}
	return s.sim.Device(c.Vars["eid"])
}

func (s *world) putAccountScenario(c *call, in *scenarioAssignment) (any, error) {
	return in, s.sim.AssignAccountScenario(c.Vars["account"], in.Scenario)
}

func (s *world) unlockUser(c *call) (any, error) {
	s.sim.Unlock(c.Vars["username"])
	return map[string]string{"username": c.Vars["username"], "status": "unlocked"}, nil
}

func (s *world) listScenarios(*call) (any, error) { return s.sim.Scenarios(), nil }

func (s *world) deliveryStats(*call) (any, error) { return s.dispatcher.Stats(), nil }

// defaultPage is how many records a journal page holds when the query
// names no limit.
const defaultPage = 1000

// page reads a journal query's after and limit.
func page(c *call) (after, limit int, err error) {
	q := c.R.URL.Query()
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

// listRequests pages the request journal; ?last=N is its last N records.
func (s *world) listRequests(c *call) (any, error) {
	after, limit, err := page(c)
	if err != nil {
		return nil, err
	}
	last, err := queryInt(c.R.URL.Query().Get("last"), "last")
	if err != nil {
		return nil, err
	}
	if last > 0 {
		after, limit = max(0, s.requests.latest()-last), last
	}
	records, next := s.requests.page(after, limit)
	c.nextPage = pageMark(next)
	return records, nil
}

// MaxWait bounds how long GET /_sim/callbacks?wait= holds an answer.
const MaxWait = 2 * time.Minute

func (s *world) listCallbackRecords(c *call) (any, error) {
	q := c.R.URL.Query()
	after, limit, err := page(c)
	if err != nil {
		return nil, err
	}
	f := delivery.Filter{RequestID: q.Get("requestId"), EID: q.Get("eid"), After: after, Limit: limit}
	if q.Get("wait") == "" {
		records, next := s.callbacks.Records(f)
		c.nextPage = pageMark(next)
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
	ctx, cancel := context.WithTimeout(c.R.Context(), wait)
	defer cancel()
	records, next := s.callbacks.Wait(ctx, f, min, attempts)
	c.nextPage = pageMark(next)
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

func (s *world) clockView() clockView {
	v := clockView{Now: s.clock.Now(), Mode: s.spec.Clock}
	if s.manual == nil {
		v.TimeScale = s.spec.TimeScale
	}
	return v
}

func (s *world) getClock(*call) (any, error) { return s.clockView(), nil }

type advance struct {
	By domain.Duration `json:"by"`
}

func (s *world) advanceClock(_ *call, in *advance) (any, error) {
	if s.manual == nil {
		return nil, tserr.New(409, tserr.CodeSimNotManualClock, "the clock is real: start tssim with --clock manual, or make the world with PUT /_sim/worlds/{name} {\"clock\":\"manual\"}, to advance it")
	}
	if to := s.clock.Now().Add(time.Duration(in.By)); to.After(clock.Horizon) {
		return nil, tserr.BadRequest(tserr.CodeSimClockHorizon, "/by: advancing by %s would take the clock to %s, past %s, the latest time a world can hold (and save)",
			time.Duration(in.By), to.Format(time.RFC3339), clock.Horizon.Format(time.RFC3339))
	}
	s.manual.Advance(time.Duration(in.By), s.awaitAttempts)
	return s.clockView(), nil
}

// awaitAttempts waits for the callback attempts under way, so that the retries
// they schedule fall at the right time on the manual clock. A listener that
// hangs holds it for one attempt's timeout at most.
func (s *world) awaitAttempts() {
	ctx, cancel := context.WithTimeout(context.Background(), s.env.callbackTimeout+time.Second)
	defer cancel()
	_ = s.dispatcher.Idle(ctx)
}

func (s *world) listFaults(*call) (any, error) { return s.faults.List(), nil }

func (s *world) addFault(_ *call, r *fault.Rule) (any, error) {
	added, err := s.faults.Add(*r)
	if err != nil {
		return nil, err
	}
	return added, nil
}

func (s *world) clearFaults(*call) (any, error) {
	s.faults.Clear()
	return s.faults.List(), nil
}

func (s *world) removeFault(c *call) (any, error) {
	id, err := strconv.Atoi(c.Vars["id"])
	if err != nil || !s.faults.Remove(id) {
		return nil, tserr.New(404, tserr.CodeSimFaultNotFound, "fault rule %s was not found (GET /_sim/faults lists them)", c.Vars["id"])
	}
	return s.faults.List(), nil
}

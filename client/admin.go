package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Admin drives tssim's control API, /_sim/.
type Admin struct {
	base  string
	hc    *http.Client
	token string
}

// NewAdmin returns a control API client of the tssim at baseURL. token is
// tssim's --admin-token, or "".
func NewAdmin(baseURL string, hc *http.Client, token string) *Admin {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Admin{base: strings.TrimRight(baseURL, "/"), hc: hc, token: token}
}

// SimProfile is a profile on a simulated device.
type SimProfile struct {
	ICCID  string `json:"iccid"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

// SimPending is the action a simulated device waits on.
type SimPending struct {
	RequestID string    `json:"requestId"`
	Action    string    `json:"action"`
	ICCID     string    `json:"iccid"`
	Scenario  string    `json:"scenario"`
	Since     time.Time `json:"since"`
}

// SimDevice is a simulated device.
type SimDevice struct {
	EID         string       `json:"eid"`
	Account     string       `json:"account"`
	IMEI        string       `json:"imei,omitempty"`
	MDN         string       `json:"mdn,omitempty"`
	State       string       `json:"state"`
	IPAddress   string       `json:"ipAddress,omitempty"`
	ServicePlan string       `json:"servicePlan,omitempty"`
	Profiles    []SimProfile `json:"profiles"`
	Scenario    string       `json:"scenario,omitempty"`
	Pending     *SimPending  `json:"pending,omitempty"`
}

// Enabled returns the ICCID of the enabled profile.
func (d SimDevice) Enabled() string {
	for _, p := range d.Profiles {
		if p.Status == "enabled" {
			return p.ICCID
		}
	}
	return ""
}

// SimAttempt is one delivery of a callback.
type SimAttempt struct {
	CallbackCount int       `json:"callbackCount"`
	Time          time.Time `json:"time"`
	URL           string    `json:"url"`
	StatusCode    int       `json:"statusCode"`
	Error         string    `json:"error"`
	LatencyMS     float64   `json:"latencyMs"`
}

// SimCallback is a callback tssim sent, with every attempt.
type SimCallback struct {
	Seq       int                   `json:"seq"`
	RequestID string                `json:"requestId"`
	EID       string                `json:"eid"`
	Account   string                `json:"account"`
	Step      int                   `json:"step"`
	Status    string                `json:"status"`
	Created   time.Time             `json:"created"`
	State     string                `json:"state"`
	Attempts  []SimAttempt          `json:"attempts"`
	Message   DeviceProfileResponse `json:"message"`
}

// SimViolation is one schema problem of a journalled request.
type SimViolation struct {
	Pointer   string `json:"pointer"`
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

// SimRequest is a journalled API request.
type SimRequest struct {
	Seq       int       `json:"seq"`
	Time      time.Time `json:"time"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	ErrorCode string    `json:"errorCode"`
	RequestID string    `json:"requestId"`
	// EIDs are the devices of a profile action (the first 10).
	EIDs     []string `json:"eids"`
	Scenario string   `json:"scenario"`
	// Fault is the fault the request got, and who asked for it.
	Fault      string         `json:"fault"`
	Violations []SimViolation `json:"violations"`
	// ViolationsOmitted counts the violations the journal did not keep.
	ViolationsOmitted int `json:"violationsOmitted"`
}

// SimScenario is a scenario as tssim lists it.
type SimScenario struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Steps       []json.RawMessage `json:"steps"`
	Source      string            `json:"source"`
}

// CallbackQuery selects journalled callbacks; with Wait, the answer waits
// until Min callbacks have had an attempt and Attempts attempts were made.
type CallbackQuery struct {
	RequestID string
	EID       string
	Wait      time.Duration
	Min       int
	Attempts  int
	// After and Limit page the journal: the callbacks after the one whose
	// Seq is After, at most Limit (tssim's default page: 1,000).
	After int
	Limit int
}

// Health asks /_sim/health.
func (a *Admin) Health(ctx context.Context) error {
	return a.call(ctx, http.MethodGet, "/_sim/health", nil, nil)
}

// Reset puts tssim back to its fixtures.
func (a *Admin) Reset(ctx context.Context) error {
	return a.call(ctx, http.MethodPost, "/_sim/reset", nil, nil)
}

// Devices lists every simulated device.
func (a *Admin) Devices(ctx context.Context) ([]SimDevice, error) {
	var out []SimDevice
	return out, a.call(ctx, http.MethodGet, "/_sim/devices", nil, &out)
}

// Device returns one simulated device.
func (a *Admin) Device(ctx context.Context, eid string) (SimDevice, error) {
	var out SimDevice
	return out, a.call(ctx, http.MethodGet, "/_sim/devices/"+url.PathEscape(eid), nil, &out)
}

// PutDevice creates or replaces a simulated device.
func (a *Admin) PutDevice(ctx context.Context, d SimDevice) error {
	d.Pending = nil
	return a.call(ctx, http.MethodPut, "/_sim/devices/"+url.PathEscape(d.EID), d, nil)
}

// AssignScenario sets the scenario of a device ("" clears it).
func (a *Admin) AssignScenario(ctx context.Context, eid, scenario string) error {
	return a.call(ctx, http.MethodPut, "/_sim/devices/"+url.PathEscape(eid)+"/scenario", map[string]string{"scenario": scenario}, nil)
}

// AssignAccountScenario sets the scenario of an account ("" clears it).
func (a *Admin) AssignAccountScenario(ctx context.Context, account, scenario string) error {
	return a.call(ctx, http.MethodPut, "/_sim/accounts/"+url.PathEscape(account)+"/scenario", map[string]string{"scenario": scenario}, nil)
}

// Unlock clears a user's failed logins, which lock it after five.
func (a *Admin) Unlock(ctx context.Context, username string) error {
	return a.call(ctx, http.MethodPost, "/_sim/users/"+url.PathEscape(username)+"/unlock", nil, nil)
}

// Scenarios lists the scenarios tssim knows.
func (a *Admin) Scenarios(ctx context.Context) ([]SimScenario, error) {
	var out []SimScenario
	return out, a.call(ctx, http.MethodGet, "/_sim/scenarios", nil, &out)
}

// Requests returns the request journal.
func (a *Admin) Requests(ctx context.Context) ([]SimRequest, error) {
	var out []SimRequest
	return out, a.call(ctx, http.MethodGet, "/_sim/requests", nil, &out)
}

// Callbacks returns the callback journal.
func (a *Admin) Callbacks(ctx context.Context, q CallbackQuery) ([]SimCallback, error) {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" && val != "0" {
			v.Set(k, val)
		}
	}
	set("requestId", q.RequestID)
	set("eid", q.EID)
	if q.Wait > 0 {
		v.Set("wait", q.Wait.String())
	}
	set("min", strconv.Itoa(q.Min))
	set("attempts", strconv.Itoa(q.Attempts))
	set("after", strconv.Itoa(q.After))
	set("limit", strconv.Itoa(q.Limit))
	var out []SimCallback
	return out, a.call(ctx, http.MethodGet, "/_sim/callbacks?"+v.Encode(), nil, &out)
}

// SimFaultRule is a fault rule of /_sim/faults: which API requests it
// matches, what it does to them, and how often it matched and fired.
// Durations are Go duration strings ("30s").
type SimFaultRule struct {
	ID         int     `json:"id,omitempty"`
	Route      string  `json:"route,omitempty"`
	Account    string  `json:"account,omitempty"`
	EID        string  `json:"eid,omitempty"`
	Status     int     `json:"status,omitempty"`
	RetryAfter string  `json:"retryAfter,omitempty"`
	Latency    string  `json:"latency,omitempty"`
	Drop       bool    `json:"drop,omitempty"`
	Garbage    bool    `json:"garbage,omitempty"`
	Times      int     `json:"times,omitempty"`
	Rate       float64 `json:"rate,omitempty"`
	Seed       uint64  `json:"seed,omitempty"`
	Matched    int     `json:"matched,omitempty"`
	Fired      int     `json:"fired,omitempty"`
}

// DeleteWorld removes a world (/w/{name}/): its devices, journals and
// pending callbacks. Call it on the default world's Admin.
func (a *Admin) DeleteWorld(ctx context.Context, name string) error {
	return a.call(ctx, http.MethodDelete, "/_sim/worlds/"+url.PathEscape(name), nil, nil)
}

// AddFault puts a fault rule in force and returns it with its id.
func (a *Admin) AddFault(ctx context.Context, r SimFaultRule) (SimFaultRule, error) {
	var out SimFaultRule
	return out, a.call(ctx, http.MethodPost, "/_sim/faults", r, &out)
}

// Faults lists the fault rules in force, with their counts.
func (a *Admin) Faults(ctx context.Context) ([]SimFaultRule, error) {
	var out []SimFaultRule
	return out, a.call(ctx, http.MethodGet, "/_sim/faults", nil, &out)
}

// ClearFaults takes every fault rule out of force.
func (a *Admin) ClearFaults(ctx context.Context) error {
	return a.call(ctx, http.MethodDelete, "/_sim/faults", nil, nil)
}

// SimClock is tssim's clock: its time, its mode ("real" or "manual") and,
// for a real clock, its time scale.
type SimClock struct {
	Now       time.Time `json:"now"`
	Mode      string    `json:"mode"`
	TimeScale float64   `json:"timeScale"`
}

// Clock returns tssim's clock.
func (a *Admin) Clock(ctx context.Context) (SimClock, error) {
	var out SimClock
	return out, a.call(ctx, http.MethodGet, "/_sim/clock", nil, &out)
}

// Now returns tssim's time.
func (a *Admin) Now(ctx context.Context) (time.Time, error) {
	c, err := a.Clock(ctx)
	return c.Now, err
}

// Advance moves tssim's manual clock forward and runs what falls due.
func (a *Admin) Advance(ctx context.Context, by time.Duration) (time.Time, error) {
	var out SimClock
	return out.Now, a.call(ctx, http.MethodPost, "/_sim/clock/advance", map[string]string{"by": by.String()}, &out)
}

func (a *Admin) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	c := Client{hc: a.hc}
	if err := c.do(req, out); err != nil {
		return fmt.Errorf("tssim control API: %w", err)
	}
	return nil
}

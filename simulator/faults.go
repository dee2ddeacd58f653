package simulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/tssim/tssim/internal/fault"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// QA's faults on ThingSpace's paths: asked for by the X-Tssim-Fault header
// or by the rules of /_sim/faults, carried out once a request's credentials
// are checked and before its handler runs.

// injectFault carries out the fault asked for a ThingSpace operation, if
// any: it waits the latency, then drops the connection or answers garbage
// (handled: the request is journalled and nothing more is written), or
// returns the error status to answer, or lets the request be served.
func injectFault(_ *Server, c *call) error {
	if c.op == nil {
		return nil
	}
	s := c.world
	f, source, err := s.faultFor(c)
	if err != nil || f == (fault.Fault{}) {
		return err
	}
	c.fault, c.faultByRule = f, source != "header"
	c.rec.Fault = f.String() + " (" + source + ")"
	if f.Latency > 0 {
		t := time.NewTimer(time.Duration(f.Latency))
		select {
		case <-t.C:
		case <-c.R.Context().Done():
			t.Stop()
			s.requests.add(c.rec) // the client left first
			c.handled = true
			return nil
		}
	}
	switch f.Effect() {
	case fault.EffectDrop:
		s.requests.add(c.rec)
		hangUp(c.w, nil)
		c.handled = true
	case fault.EffectGarbage:
		s.requests.add(c.rec)
		hangUp(c.w, []byte("\x00\xfftssim garbage: this is not an HTTP answer\r\n\r\n"))
		c.handled = true
	case fault.EffectStatus:
		if f.RetryAfter > 0 {
			secs := (time.Duration(f.RetryAfter) + time.Second - 1) / time.Second
			c.w.Header().Set("Retry-After", strconv.Itoa(int(secs)))
		}
		return statusFault(f.Status, source)
	}
	return nil
}

// faultFor returns the fault asked for the request and who asked: the
// header, or a rule.
func (s *world) faultFor(c *call) (fault.Fault, string, error) {
	if v := c.R.Header.Get(fault.Header); v != "" {
		f, err := fault.Parse(v)
		if err != nil {
			return f, "", tserr.BadRequest(tserr.CodeSimBadFault, "%s", err)
		}
		return f, "header", nil
	}
	req := fault.Request{Route: c.op.FaultName(), Account: c.Vars["accountName"]}
	if c.op.Kind != nil {
		if s.faults.NeedsNames() {
			// Leniently: the schema judges the body after the fault.
			var body wire.ActionRequest
			_ = json.Unmarshal(c.Body, &body)
			req.Account = body.AccountName
			for _, d := range body.Devices {
				for _, id := range d.DeviceIDs {
					if id.Kind == "eid" {
						req.EIDs = append(req.EIDs, id.ID)
					}
				}
			}
		}
	}
	f, id, ok := s.faults.Match(req)
	if !ok {
		return fault.Fault{}, "", nil
	}
	return f, "rule " + strconv.Itoa(id), nil
}

// statusFault is the error status a fault answers, in the body ThingSpace
// (or its API gateway) sends with it. ThingSpace documents none of 429,
// 500 and 503: the 429 and 503 bodies are those of the gateway, whose
// 401 bodies ThingSpace does document; the others are the M2M API's form.
func statusFault(status int, source string) *tserr.Error {
	switch status {
	case http.StatusTooManyRequests:
		return &tserr.Error{Status: status, Kind: tserr.KindFault, Code: "900800", Message: "Message Throttled Out",
			Violations: []tserr.Violation{{Pointer: fault.Header, Message: "You have exceeded your quota: retry after the time Retry-After gives"}}}
	case http.StatusServiceUnavailable:
		return &tserr.Error{Status: status, Kind: tserr.KindFault, Code: "101503", Message: "Runtime Error",
			Violations: []tserr.Violation{{Pointer: fault.Header, Message: "Error connecting to the back end"}}}
	case http.StatusUnauthorized:
		return &tserr.Error{Status: status, Kind: tserr.KindFault, Code: tserr.FaultInvalidCredentials, Message: "Invalid Credentials",
			Violations: []tserr.Violation{{Pointer: "Authorization", Message: "Access failure for API: /api/m2m, version: v1. Make sure you have given the correct access token"}}}
	}
	return tserr.New(status, tserr.CodeUnexpected, "tssim fault: status %d, asked for by the %s", status, source)
}

// hangUp closes the connection without an HTTP answer, after writing
// raw, if any.
func hangUp(w http.ResponseWriter, raw []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if raw != nil {
		_, _ = conn.Write(raw)
	}
	_ = conn.Close()
}

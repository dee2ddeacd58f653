package domain

import (
	"encoding/json"
	"time"
)

// Step results: what the SM-SR has decided when a step's callback goes out.
const (
	ResultPending = "pending"
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Step is one timed answer of the SM-SR.
type Step struct {
	After           Duration `json:"after"`
	Result          string   `json:"result"`
	Send            *bool    `json:"send,omitempty"`
	Copies          int      `json:"copies,omitempty"`
	Status          string   `json:"status,omitempty"`
	EUICCStatus     string   `json:"euiccStatus,omitempty"`
	EUICCStatusCode string   `json:"euiccStatusCode,omitempty"`
	EUICCStatusDesc string   `json:"euiccStatusDesc,omitempty"`
	// FaultCode, when set, makes the callback ThingSpace's fault form:
	// faultResponse in place of deviceResponse.
	FaultCode   string `json:"faultcode,omitempty"`
	FaultString string `json:"faultstring,omitempty"`
}

// sends reports whether the step sends a callback, and how many copies.
func (s Step) sends() int {
	if s.Send != nil && !*s.Send {
		return 0
	}
	return max(s.Copies, 1)
}

// Scenario is a named script of steps, each timed from the request.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Steps       []Step `json:"steps"`
	// Source says where the scenario was loaded from.
	Source string `json:"source"`
}

// Duration is a time.Duration written as a Go duration string in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as "10m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// refusalScenario is what the SM-SR does when the rules of SGP.02 refuse an
// action, whatever the device's scenario says: one failure callback at once.
func refusalScenario(r *Refusal) *Scenario {
	return &Scenario{Name: "refused", Steps: []Step{{
		Result: ResultFailure, Status: "Failed", EUICCStatus: "FAILED",
		EUICCStatusCode: r.Code, EUICCStatusDesc: r.Desc,
	}}}
}

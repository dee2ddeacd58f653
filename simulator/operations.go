package simulator

import "github.com/tssim/tssim/internal/thingspace"

// operationView is an operation of the catalogue as GET /_sim/operations
// lists it, for the dashboard and for whoever scripts against tssim.
type operationView struct {
	Name    string `json:"name"`
	Fault   string `json:"fault"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	Schema  string `json:"schema,omitempty"`
	Access  string `json:"access"`
	Service string `json:"service,omitempty"`
	Summary string `json:"summary"`
}

var accessNames = map[thingspace.Access]string{thingspace.Open: "open", thingspace.Bearer: "bearer", thingspace.Session: "session"}

// listOperations lists the catalogue, with the fault routes' names.
func listOperations(*world, *call) (any, error) {
	ops := thingspace.All()
	out := struct {
		Operations  []operationView `json:"operations"`
		FaultRoutes []string        `json:"faultRoutes"`
	}{make([]operationView, len(ops)), thingspace.FaultNames()}
	for i, op := range ops {
		out.Operations[i] = operationView{Name: op.Name, Fault: op.FaultName(), Method: op.Method, Path: op.Path, Schema: op.Schema,
			Access: accessNames[op.Access], Service: op.Service(), Summary: op.Summary}
	}
	return out, nil
}

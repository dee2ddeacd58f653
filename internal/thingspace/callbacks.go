package thingspace

import (
	"net/http"

	"github.com/tssim/tssim/internal/domain"
)

// Callback listeners, one URL per account and service:
// https://thingspace.verizon.com/documentation/apis/connectivity-management/api-reference/register-callback-listener.html
func init() {
	Register(
		&Operation{Name: "callbacks_register", Fault: "callbacks", Method: http.MethodPost, Path: "/api/m2m/v1/callbacks/{accountName}",
			Schema: "callback-registration.json", Access: Session, Summary: "register the listener URL of one callback service", Handle: WithBody(registerCallback)},
		&Operation{Name: "callbacks_list", Fault: "callbacks", Method: http.MethodGet, Path: "/api/m2m/v1/callbacks/{accountName}",
			Access: Session, Summary: "the account's listeners", Handle: listCallbacks},
		&Operation{Name: "callbacks_deregister", Fault: "callbacks", Method: http.MethodDelete, Path: "/api/m2m/v1/callbacks/{accountName}/name/{serviceName}",
			Access: Session, Summary: "remove the listener of one service", Handle: deregisterCallback},
	)
}

type callbackRef struct {
	AccountName string `json:"accountName"`
	ServiceName string `json:"serviceName"`
}

type registrationRequest struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Username string `json:"username"`
	Password string `json:"password"`
}

func registerCallback(c *Call, in *registrationRequest) (any, error) {
	r := domain.Registration{AccountName: c.Vars["accountName"], ServiceName: in.Name, URL: in.URL, Username: in.Username, Password: in.Password}
	if err := c.Sim.Register(c.Principal, r); err != nil {
		return nil, err
	}
	return callbackRef{r.AccountName, r.ServiceName}, nil
}

func listCallbacks(c *Call) (any, error) {
	return c.Sim.Registrations(c.Principal, c.Vars["accountName"])
}

func deregisterCallback(c *Call) (any, error) {
	ref := callbackRef{c.Vars["accountName"], c.Vars["serviceName"]}
	return ref, c.Sim.Deregister(c.Principal, ref.AccountName, ref.ServiceName)
}

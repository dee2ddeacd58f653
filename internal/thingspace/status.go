package thingspace

import (
	"errors"
	"net/http"
	"regexp"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// The status of an asynchronous request, from what its devices' scenarios
// have come to (domain/requests.go):
// https://thingspace.verizon.com/documentation/apis/connectivity-management/api-reference/get-asynchronous-request-status.html
// (v1, requests of one device) and the Global IoT page of the v2 path
// (any request, device by device).
func init() {
	Register(
		&Operation{Name: "request_status", Method: http.MethodGet, Path: "/api/m2m/v1/accounts/{accountName}/requests/{requestId}/status", Access: Session,
			Summary: "the status of a request of one device: Pending, Success or Failure", Handle: requestStatus},
		&Operation{Name: "request_status_v2", Method: http.MethodGet, Path: "/api/m2m/v2/accounts/{accountName}/requests/{requestId}/status", Access: Session,
			StatusErrors: true, Summary: "the status of a request and of each of its first 100 devices", Handle: requestStatusV2},
	)
}

// statusResponse is v1's AsynchronousRequestResult.
type statusResponse struct {
	RequestID string `json:"requestId"`
	Status    string `json:"status"`
}

func requestStatus(c *Call) (any, error) {
	account, id := c.Vars["accountName"], c.Vars["requestId"]
	st, err := c.Sim.RequestStatus(c.Principal, account, id)
	if err != nil {
		return nil, err
	}
	if st.Count != 1 {
		return nil, tserr.BadRequest(domain.CodeRequestNotSingle,
			"requestId: request %s names %d devices, and this status serves requests of one device: ask GET /api/m2m/v2/accounts/%s/requests/%s/status",
			id, st.Count, account, id)
	}
	return statusResponse{st.RequestID, st.Status}, nil
}

// statusV2Response is the SDKs' StatusResponse: subrequests (the page's
// example spells it subRequests, which Go's decoder takes too), each with
// one identifier object (the page's array would break the Go SDK).
type statusV2Response struct {
	RequestID   string       `json:"requestId"`
	Status      string       `json:"status"`
	Subrequests []subrequest `json:"subrequests"`
}

type subrequest struct {
	IDs    wire.DeviceID `json:"ids"`
	Status string        `json:"status"`
}

// The SDK's constraints on the v2 path.
var (
	v2AccountName = regexp.MustCompile(`^[A-Za-z0-9\-]{3,32}$`)
	v2RequestID   = regexp.MustCompile(`^[A-Za-z0-9\-]{3,64}$`)
)

func requestStatusV2(c *Call) (any, error) {
	account, id := c.Vars["accountName"], c.Vars["requestId"]
	for _, p := range []struct {
		name, value, code string
		re                *regexp.Regexp
	}{
		{"accountName", account, tserr.CodeAccountNotDefined, v2AccountName},
		{"requestId", id, domain.CodeRequestNotFound, v2RequestID},
	} {
		if !p.re.MatchString(p.value) {
			return nil, tserr.BadRequest(p.code, "%s: %q does not match %s", p.name, p.value, p.re)
		}
	}
	st, err := c.Sim.RequestStatus(c.Principal, account, id)
	if err != nil {
		return nil, notFound404(err)
	}
	out := statusV2Response{RequestID: st.RequestID, Status: st.Status, Subrequests: make([]subrequest, len(st.Devices))}
	for i, d := range st.Devices {
		out.Subrequests[i] = subrequest{d.ID, d.Status}
	}
	return out, nil
}

// notFound404 answers an unknown request with 404, as the v2 family's
// statuses say; the rest keep theirs.
func notFound404(err error) error {
	var e *tserr.Error
	if !errors.As(err, &e) || e.Code != domain.CodeRequestNotFound {
		return err
	}
	out := *e
	out.Status = http.StatusNotFound
	return &out
}

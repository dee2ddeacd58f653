package client

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// The status of an asynchronous request: GET
// …/accounts/{accountName}/requests/{requestId}/status, v1 (ThingSpace's
// page "Get the current status of an asynchronous request": a line change
// of one device) and v2 (the Global IoT page: any request, device by
// device).

// Statuses of a request and of each of its devices, in the words of
// Verizon's SDKs (ThingSpace's page says "Failed" where they say
// "Failure").
const (
	RequestPending = "Pending"
	RequestSuccess = "Success"
	RequestFailure = "Failure"
)

// RequestStatus is the status of a request.
type RequestStatus struct {
	RequestID string `json:"requestId"`
	Status    string `json:"status"`
	// Subrequests, in a v2 answer, are its devices (the first 100).
	Subrequests []Subrequest `json:"subrequests,omitempty"`
}

// Subrequest is one device of a request: the identifier the request named
// it by, and its status.
type Subrequest struct {
	IDs    DeviceID `json:"ids"`
	Status string   `json:"status"`
}

// UnmarshalJSON takes ids as one object, as Verizon's SDKs and tssim write
// it, or as an array of them, as ThingSpace's page does (the first is
// kept).
func (s *Subrequest) UnmarshalJSON(b []byte) error {
	var w struct {
		IDs    json.RawMessage `json:"ids"`
		Status string          `json:"status"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Subrequest{Status: w.Status}
	if ids := bytes.TrimSpace(w.IDs); len(ids) > 0 && ids[0] == '[' {
		var all []DeviceID
		if err := json.Unmarshal(ids, &all); err != nil || len(all) == 0 {
			return err
		}
		s.IDs = all[0]
		return nil
	}
	if len(w.IDs) == 0 {
		return nil
	}
	return json.Unmarshal(w.IDs, &s.IDs)
}

// RequestStatus asks the v1 status of a request of one device.
func (c *Client) RequestStatus(ctx context.Context, account, requestID string) (RequestStatus, error) {
	return c.requestStatus(ctx, "v1", account, requestID)
}

// RequestStatusV2 asks the v2 status of a request, with its devices'.
// Its errors are the Global IoT family's: Code is the HTTP status.
func (c *Client) RequestStatusV2(ctx context.Context, account, requestID string) (RequestStatus, error) {
	return c.requestStatus(ctx, "v2", account, requestID)
}

func (c *Client) requestStatus(ctx context.Context, version, account, requestID string) (RequestStatus, error) {
	var out RequestStatus
	path := "/api/m2m/" + version + "/accounts/" + url.PathEscape(account) + "/requests/" + url.PathEscape(requestID) + "/status"
	return out, c.call(ctx, http.MethodGet, path, nil, &out, true)
}

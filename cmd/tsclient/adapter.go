package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/tssim/tssim/client"
)

// The adapter protocol lets the contract suite drive a client written in any
// language: one JSON object a line on stdin, one answer a line on stdout.
// features/ADAPTER.md describes it.

type adapterRequest struct {
	Op        string `json:"op"`
	BaseURL   string `json:"baseUrl"`
	AppKey    string `json:"appKey"`
	AppSecret string `json:"appSecret"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	Account   string `json:"account"`
	URL       string `json:"url"`
	Service   string `json:"service"`
	SMSROID   string `json:"smsrOid"`
	Devices   []struct {
		EID   string `json:"eid"`
		ICCID string `json:"iccid"`
	} `json:"devices"`
	RequestID string `json:"requestId"`
	WaitMS    int    `json:"waitMs"`
}

type adapterError struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type adapterResult struct {
	EID           string `json:"eid"`
	Status        string `json:"status"`
	EUICCStatus   string `json:"euiccStatus"`
	Code          string `json:"code"`
	State         string `json:"state"`
	CallbackCount int    `json:"callbackCount"`
	Final         bool   `json:"final"`
	Succeeded     bool   `json:"succeeded"`
}

type adapterAnswer struct {
	OK           bool          `json:"ok"`
	Error        *adapterError `json:"error,omitempty"`
	Name         string        `json:"name,omitempty"`
	ListenerURL  string        `json:"listenerUrl,omitempty"`
	Capabilities []string      `json:"capabilities,omitempty"`
	RequestID    string        `json:"requestId,omitempty"`
	Status       string        `json:"status,omitempty"`
	*adapterResults
}

// adapterResults is the answer to results: every field, even empty.
type adapterResults struct {
	Complete bool            `json:"complete"`
	Final    []adapterResult `json:"final"`
	Received []adapterResult `json:"received"`
}

func adapterCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	httpAddr := fs.String("http", "", "serve the protocol over HTTP on this address (one POST per request) instead of stdin/stdout")
	listenerAddr := fs.String("listener-addr", "127.0.0.1:0", "where the client's callback listener listens")
	listenerHost := fs.String("listener-host", "", "the host name the contract suite reaches the callback listener at (default: its listen address)")
	return func(ctx context.Context, a *app) int {
		ad := &adapter{listenerAddr: *listenerAddr, listenerHost: *listenerHost}
		defer ad.bye()
		if *httpAddr != "" {
			return ad.serveHTTP(ctx, a, *httpAddr)
		}
		in := bufio.NewScanner(a.stdin)
		in.Buffer(make([]byte, 1<<20), 16<<20)
		enc := json.NewEncoder(a.stdout)
		for in.Scan() {
			ans, op := ad.answer(ctx, in.Bytes())
			if err := enc.Encode(ans); err != nil {
				return a.fail(exitTrouble, "adapter: %v", err)
			}
			if op == "bye" {
				return exitOK
			}
		}
		return exitOK
	}
}

// serveHTTP answers the protocol's requests as HTTP POSTs until ctx ends.
func (ad *adapter) serveHTTP(ctx context.Context, a *app, addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return a.fail(exitTrouble, "adapter: %v", err)
	}
	var mu sync.Mutex
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/health" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"status":"ok"}`+"\n")
			return
		}
		if r.Method != http.MethodPost {
			http.Error(w, "the adapter protocol is POSTed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		mu.Lock()
		ans, _ := ad.answer(r.Context(), body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ans)
	})}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	fmt.Fprintf(a.stdout, "adapter listening on http://%s/\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return a.fail(exitTrouble, "adapter: %v", err)
	}
	return exitOK
}

// adapter is the reference client behind the protocol: hello makes a new
// client and listener, bye stops the listener.
type adapter struct {
	listenerAddr, listenerHost string
	c                          *client.Client
	listener                   *client.Listener
	url                        string
	stop                       func()
}

// answer decodes one request and answers it; it returns the request's op.
func (ad *adapter) answer(ctx context.Context, line []byte) (adapterAnswer, string) {
	var req adapterRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return failure(fmt.Errorf("not a JSON request: %w", err)), ""
	}
	if req.Op == "bye" {
		ad.bye()
		return adapterAnswer{OK: true}, req.Op
	}
	return ad.handle(ctx, req), req.Op
}

func (ad *adapter) bye() {
	if ad.stop != nil {
		ad.stop()
	}
	ad.c, ad.listener, ad.stop = nil, nil, nil
}

func failure(err error) adapterAnswer {
	e := &adapterError{Message: err.Error()}
	var ce *client.Error
	if errors.As(err, &ce) {
		e = &adapterError{Status: ce.StatusCode, Code: ce.Code, Message: ce.Message}
	}
	return adapterAnswer{Error: e}
}

func (ad *adapter) handle(ctx context.Context, req adapterRequest) adapterAnswer {
	if req.Op != "hello" && ad.c == nil {
		return failure(errors.New(`the first request must be {"op":"hello",...}`))
	}
	switch req.Op {
	case "hello":
		return ad.hello(req)
	case "register":
		url := req.URL
		if url == "" {
			url = ad.url
		}
		service := req.Service
		if service == "" {
			service = client.ServiceDeviceProfile
		}
		err := ad.c.RegisterCallback(ctx, req.Account, client.CallbackRegistration{Name: service, URL: url})
		if err != nil {
			return failure(err)
		}
		return adapterAnswer{OK: true}
	case "delete":
		r := client.ProfileRequest{AccountName: req.Account, SMSROID: req.SMSROID}
		for _, d := range req.Devices {
			r.Devices = append(r.Devices, client.DeviceRef{EID: d.EID, ICCID: d.ICCID})
		}
		return started(ad.c.DeleteProfile(ctx, r))
	case client.LineSuspend, client.LineRestore:
		r := client.LineRequest{AccountName: req.Account}
		for _, d := range req.Devices {
			r.Devices = append(r.Devices, client.Identifiers{client.EID(d.EID)})
		}
		return started(ad.c.LineAction(ctx, req.Op, r))
	case "status":
		st, err := ad.c.RequestStatus(ctx, req.Account, req.RequestID)
		if err != nil {
			return failure(err)
		}
		return adapterAnswer{OK: true, Status: st.Status}
	case "results":
		return ad.results(ctx, req)
	}
	return failure(fmt.Errorf("unknown op %q", req.Op))
}

// started answers a request that starts an action: its requestId, or
// why it did not start.
func started(requestID string, err error) adapterAnswer {
	if err != nil {
		return failure(err)
	}
	return adapterAnswer{OK: true, RequestID: requestID}
}

// adapterCapabilities are the protocol's capabilities beyond its base
// that the reference client has: it sends a call answered 429 or 503
// again once Retry-After passed (client.WithRetries), asks a request's
// status, and takes CarrierService callbacks.
var adapterCapabilities = []string{"retry-after", "status", "carrier"}

func (ad *adapter) hello(req adapterRequest) adapterAnswer {
	ad.bye()
	ad.listener = client.NewListener()
	stop, url, err := serveListener(ad.listener, ad.listenerAddr, ad.listenerHost)
	if err != nil {
		return failure(err)
	}
	ad.stop, ad.url = stop, url
	ad.c, err = client.New(req.BaseURL, client.WithCredentials(req.AppKey, req.AppSecret), client.WithUser(req.Username, req.Password), client.WithListener(ad.listener))
	if err != nil {
		return failure(err)
	}
	return adapterAnswer{OK: true, Name: "tsclient (Go reference client)", ListenerURL: ad.url, Capabilities: adapterCapabilities}
}

func (ad *adapter) results(ctx context.Context, req adapterRequest) adapterAnswer {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(req.WaitMS)*time.Millisecond)
	defer cancel()
	final, err := ad.listener.Await(ctx, req.RequestID)
	ans := adapterAnswer{OK: true, adapterResults: &adapterResults{Complete: err == nil, Final: []adapterResult{}, Received: []adapterResult{}}}
	for _, r := range final {
		ans.Final = append(ans.Final, toAdapter(r))
	}
	sort.Slice(ans.Final, func(i, j int) bool { return ans.Final[i].EID < ans.Final[j].EID })
	for _, r := range ad.listener.Results() {
		if r.RequestID == req.RequestID {
			ans.Received = append(ans.Received, toAdapter(r))
		}
	}
	return ans
}

func toAdapter(r client.Result) adapterResult {
	return adapterResult{EID: r.EID, Status: r.Status, EUICCStatus: r.EUICCStatus, Code: r.Code, State: lineState(r),
		CallbackCount: r.CallbackCount, Final: r.Final, Succeeded: r.Succeeded}
}

// lineState is the line's service state a callback gives: a line change's,
// or the one a profile action's result carries.
func lineState(r client.Result) string {
	if _, line := r.Message.DeviceResponse.Line(); line != nil {
		return line.State
	}
	return r.Message.DeviceResponse.DeviceProfileResponse.State
}

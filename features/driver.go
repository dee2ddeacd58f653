package features

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/tssim/tssim/client"
)

// creds are what a client logs in with.
type creds struct {
	BaseURL   string `json:"baseUrl"`
	AppKey    string `json:"appKey"`
	AppSecret string `json:"appSecret"`
	Username  string `json:"username"`
	Password  string `json:"password"`
}

type device struct {
	EID   string `json:"eid"`
	ICCID string `json:"iccid"`
}

// apiError is a refusal as a client reports it.
type apiError struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// result is one callback as a client took it.
type result struct {
	EID         string `json:"eid"`
	Status      string `json:"status"`
	EUICCStatus string `json:"euiccStatus"`
	Code        string `json:"code"`
	// State is the line's service state the callback gives: the carrier
	// capability's scenarios check it.
	State         string `json:"state"`
	CallbackCount int    `json:"callbackCount"`
	Final         bool   `json:"final"`
	Succeeded     bool   `json:"succeeded"`
}

// results is what a client knows of one request.
type results struct {
	Complete bool     `json:"complete"`
	Final    []result `json:"final"`
	Received []result `json:"received"`
}

// greeting is a client's answer to hello.
type greeting struct {
	Name        string `json:"name"`
	ListenerURL string `json:"listenerUrl"`
	// Capabilities are those beyond the base protocol the client declares
	// (optionalCapabilities): only their scenarios are graded.
	Capabilities []string `json:"capabilities"`
}

// driver is a client under test: the Go package in process, or any client
// behind the adapter protocol.
type driver interface {
	// hello starts the client and its listener.
	hello(c creds) (greeting, error)
	// register registers url for a callback service of the account.
	register(account, url, service string) error
	delete(account, smsrOID string, devices []device) (string, error)
	// lineChange suspends or restores the lines of devices, by EID.
	lineChange(action, account string, eids []string) (string, error)
	// status asks ThingSpace the status of a request.
	status(account, requestID string) (string, error)
	results(requestID string, wait time.Duration) (results, error)
	close() error
}

// goDriver drives the client package directly.
type goDriver struct {
	c        *client.Client
	listener *client.Listener
	srv      *http.Server
}

func (d *goDriver) hello(c creds) (greeting, error) {
	d.listener = client.NewListener(client.ValidateCallbacks())
	var err error
	d.c, err = client.New(c.BaseURL, client.WithCredentials(c.AppKey, c.AppSecret), client.WithUser(c.Username, c.Password), client.WithListener(d.listener))
	if err != nil {
		return greeting{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return greeting{}, err
	}
	d.srv = &http.Server{Handler: d.listener, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	return greeting{Name: "the Go client package, in process", ListenerURL: "http://" + ln.Addr().String() + "/callbacks", Capabilities: capabilityNames()}, nil
}

func asAPIError(err error) error {
	var ce *client.Error
	if errors.As(err, &ce) {
		return &apiError{Status: ce.StatusCode, Code: ce.Code, Message: ce.Message}
	}
	return err
}

func (d *goDriver) register(account, url, service string) error {
	return asAPIError(d.c.RegisterCallback(context.Background(), account, client.CallbackRegistration{Name: service, URL: url}))
}

func (d *goDriver) delete(account, smsrOID string, devices []device) (string, error) {
	r := client.ProfileRequest{AccountName: account, SMSROID: smsrOID}
	for _, dv := range devices {
		r.Devices = append(r.Devices, client.DeviceRef{EID: dv.EID, ICCID: dv.ICCID})
	}
	id, err := d.c.DeleteProfile(context.Background(), r)
	return id, asAPIError(err)
}

func (d *goDriver) lineChange(action, account string, eids []string) (string, error) {
	r := client.LineRequest{AccountName: account}
	for _, eid := range eids {
		r.Devices = append(r.Devices, client.Identifiers{client.EID(eid)})
	}
	id, err := d.c.LineAction(context.Background(), action, r)
	return id, asAPIError(err)
}

func (d *goDriver) status(account, requestID string) (string, error) {
	st, err := d.c.RequestStatus(context.Background(), account, requestID)
	return st.Status, asAPIError(err)
}

func (d *goDriver) results(requestID string, wait time.Duration) (results, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	final, err := d.listener.Await(ctx, requestID)
	out := results{Complete: err == nil}
	for _, r := range final {
		out.Final = append(out.Final, fromClient(r))
	}
	sort.Slice(out.Final, func(i, j int) bool { return out.Final[i].EID < out.Final[j].EID })
	for _, r := range d.listener.Results() {
		if r.RequestID == requestID {
			out.Received = append(out.Received, fromClient(r))
		}
	}
	return out, nil
}

func fromClient(r client.Result) result {
	state := r.Message.DeviceResponse.DeviceProfileResponse.State
	if _, line := r.Message.DeviceResponse.Line(); line != nil {
		state = line.State
	}
	return result{EID: r.EID, Status: r.Status, EUICCStatus: r.EUICCStatus, Code: r.Code, State: state,
		CallbackCount: r.CallbackCount, Final: r.Final, Succeeded: r.Succeeded}
}

func (d *goDriver) close() error {
	if d.srv == nil {
		return nil
	}
	return d.srv.Close()
}

// adapterDriver drives a client through the adapter protocol (ADAPTER.md),
// over a transport: a command's stdin and stdout, or HTTP. It checks each
// request it sends and each answer it reads against the protocol's
// schemas.
type adapterDriver struct {
	transport transport
	protocol  protocol
}

// transport carries one adapter request and brings back its answer.
type transport interface {
	// start makes the adapter ready for requests.
	start() error
	roundTrip(req []byte) ([]byte, error)
	// close ends the adapter's part after bye.
	close() error
	// String names the adapter in errors.
	String() string
}

// adapterAnswer is one answer of an adapter.
type adapterAnswer struct {
	OK        bool      `json:"ok"`
	Error     *apiError `json:"error"`
	RequestID string    `json:"requestId"`
	// Status is the answer to status.
	Status string `json:"status"`
	greeting
	results
}

func (d *adapterDriver) call(req map[string]any) (adapterAnswer, error) {
	op, _ := req["op"].(string)
	b, err := json.Marshal(req)
	if err != nil {
		return adapterAnswer{}, err
	}
	if err := d.protocol.checkRequest(op, b); err != nil {
		return adapterAnswer{}, err
	}
	out, err := d.transport.roundTrip(b)
	if err != nil {
		return adapterAnswer{}, fmt.Errorf("adapter %s: %s: %w", d.transport, op, err)
	}
	if err := d.protocol.checkAnswer(op, out); err != nil {
		return adapterAnswer{}, fmt.Errorf("adapter %s: %w", d.transport, err)
	}
	var a adapterAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		return adapterAnswer{}, fmt.Errorf("adapter %s: the answer to %s is not a JSON object: %q", d.transport, op, trim(out))
	}
	if !a.OK {
		return a, a.Error
	}
	return a, nil
}

func (d *adapterDriver) hello(c creds) (greeting, error) {
	if err := d.transport.start(); err != nil {
		return greeting{}, fmt.Errorf("adapter %s: %w", d.transport, err)
	}
	a, err := d.call(map[string]any{"op": "hello", "baseUrl": c.BaseURL, "appKey": c.AppKey, "appSecret": c.AppSecret, "username": c.Username, "password": c.Password})
	return a.greeting, err
}

func (d *adapterDriver) register(account, url, service string) error {
	_, err := d.call(map[string]any{"op": "register", "account": account, "url": url, "service": service})
	return err
}

func (d *adapterDriver) delete(account, smsrOID string, devices []device) (string, error) {
	a, err := d.call(map[string]any{"op": "delete", "account": account, "smsrOid": smsrOID, "devices": devices})
	return a.RequestID, err
}

func (d *adapterDriver) lineChange(action, account string, eids []string) (string, error) {
	devices := make([]map[string]string, len(eids))
	for i, eid := range eids {
		devices[i] = map[string]string{"eid": eid}
	}
	a, err := d.call(map[string]any{"op": action, "account": account, "devices": devices})
	return a.RequestID, err
}

func (d *adapterDriver) status(account, requestID string) (string, error) {
	a, err := d.call(map[string]any{"op": "status", "account": account, "requestId": requestID})
	return a.Status, err
}

func (d *adapterDriver) results(requestID string, wait time.Duration) (results, error) {
	a, err := d.call(map[string]any{"op": "results", "requestId": requestID, "waitMs": wait.Milliseconds()})
	sort.Slice(a.Final, func(i, j int) bool { return a.Final[i].EID < a.Final[j].EID })
	return a.results, err
}

func (d *adapterDriver) close() error {
	_, err := d.call(map[string]any{"op": "bye"})
	if cerr := d.transport.close(); cerr != nil {
		return cerr
	}
	return err
}

// trim shortens what an adapter said for an error message.
func trim(b []byte) string {
	const most = 300
	if len(b) > most {
		return string(b[:most]) + "..."
	}
	return string(b)
}

// commandTransport runs the adapter as a command, one JSON line each way.
type commandTransport struct {
	command string
	// dir is where the command runs; stderr gets what it writes there.
	dir    string
	stderr io.Writer
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
}

func (t *commandTransport) String() string { return fmt.Sprintf("%q", t.command) }

func (t *commandTransport) start() error {
	if _, err := exec.LookPath("sh"); err == nil {
		t.cmd = exec.Command("sh", "-c", t.command)
	} else {
		// No shell (a scratch image): the command is words apart.
		words := strings.Fields(t.command)
		if len(words) == 0 {
			return errors.New("the adapter command is empty")
		}
		t.cmd = exec.Command(words[0], words[1:]...)
	}
	t.cmd.Dir, t.cmd.Stderr = t.dir, t.stderr
	var err error
	if t.in, err = t.cmd.StdinPipe(); err != nil {
		return err
	}
	stdout, err := t.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	t.out = bufio.NewScanner(stdout)
	t.out.Buffer(make([]byte, 1<<20), 16<<20)
	return t.cmd.Start()
}

func (t *commandTransport) roundTrip(req []byte) ([]byte, error) {
	if _, err := t.in.Write(append(req, '\n')); err != nil {
		return nil, fmt.Errorf("writing the request: %w", err)
	}
	if !t.out.Scan() {
		err := t.out.Err()
		if err == nil {
			err = errors.New("it closed its standard output")
		}
		return nil, fmt.Errorf("no answer: %w", err)
	}
	return t.out.Bytes(), nil
}

func (t *commandTransport) close() error {
	if t.cmd == nil || t.cmd.Process == nil {
		return nil
	}
	_ = t.in.Close()
	done := make(chan error, 1)
	go func() { done <- t.cmd.Wait() }()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("adapter %s: %w", t, err)
		}
		return nil
	case <-timer.C:
		_ = t.cmd.Process.Kill()
		<-done
		return fmt.Errorf("adapter %s did not stop within 5s of bye", t)
	}
}

// httpTransport POSTs each request to an adapter served over HTTP.
type httpTransport struct {
	url string
	hc  *http.Client
}

func (t *httpTransport) String() string { return t.url }

func (t *httpTransport) start() error { return nil }

func (t *httpTransport) roundTrip(req []byte) ([]byte, error) {
	resp, err := t.hc.Post(t.url, "application/json", bytes.NewReader(req))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("answered %s: %s", resp.Status, trim(b))
	}
	return b, nil
}

func (t *httpTransport) close() error { return nil }

package features

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
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
	EID           string `json:"eid"`
	Status        string `json:"status"`
	EUICCStatus   string `json:"euiccStatus"`
	Code          string `json:"code"`
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

// driver is a client under test: the Go package in process, or any client
// behind the adapter protocol.
type driver interface {
	// hello starts the client and its listener; it returns the listener's URL.
	hello(c creds) (string, error)
	register(account, url string) error
	delete(account, smsrOID string, devices []device) (string, error)
	results(requestID string, wait time.Duration) (results, error)
	close() error
}

// goDriver drives the client package directly.
type goDriver struct {
	c        *client.Client
	listener *client.Listener
	srv      *http.Server
}

func (d *goDriver) hello(c creds) (string, error) {
	d.listener = client.NewListener()
	var err error
	d.c, err = client.New(c.BaseURL, client.WithCredentials(c.AppKey, c.AppSecret), client.WithUser(c.Username, c.Password), client.WithListener(d.listener))
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	d.srv = &http.Server{Handler: d.listener, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/callbacks", nil
}

func asAPIError(err error) error {
	var ce *client.Error
	if errors.As(err, &ce) {
		return &apiError{Status: ce.StatusCode, Code: ce.Code, Message: ce.Message}
	}
	return err
}

func (d *goDriver) register(account, url string) error {
	return asAPIError(d.c.RegisterCallback(context.Background(), account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: url}))
}

func (d *goDriver) delete(account, smsrOID string, devices []device) (string, error) {
	r := client.ProfileRequest{AccountName: account, SMSROID: smsrOID}
	for _, dv := range devices {
		r.Devices = append(r.Devices, client.DeviceRef{EID: dv.EID, ICCID: dv.ICCID})
	}
	id, err := d.c.DeleteProfile(context.Background(), r)
	return id, asAPIError(err)
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
	return result{EID: r.EID, Status: r.Status, EUICCStatus: r.EUICCStatus, Code: r.Code, CallbackCount: r.CallbackCount, Final: r.Final, Succeeded: r.Succeeded}
}

func (d *goDriver) close() error {
	if d.srv == nil {
		return nil
	}
	return d.srv.Close()
}

// adapterDriver runs a command speaking the adapter protocol (ADAPTER.md).
type adapterDriver struct {
	command string
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Scanner
	mu      sync.Mutex
}

// adapterAnswer is one line an adapter answers.
type adapterAnswer struct {
	OK          bool      `json:"ok"`
	Error       *apiError `json:"error"`
	ListenerURL string    `json:"listenerUrl"`
	RequestID   string    `json:"requestId"`
	results
}

func (d *adapterDriver) call(req map[string]any) (adapterAnswer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := json.Marshal(req)
	if err != nil {
		return adapterAnswer{}, err
	}
	if _, err := d.in.Write(append(b, '\n')); err != nil {
		return adapterAnswer{}, fmt.Errorf("adapter %q: writing %s: %w", d.command, req["op"], err)
	}
	if !d.out.Scan() {
		return adapterAnswer{}, fmt.Errorf("adapter %q: no answer to %s (%v)", d.command, req["op"], d.out.Err())
	}
	var a adapterAnswer
	if err := json.Unmarshal(d.out.Bytes(), &a); err != nil {
		return adapterAnswer{}, fmt.Errorf("adapter %q: answer to %s is not JSON: %q", d.command, req["op"], d.out.Text())
	}
	if !a.OK {
		if a.Error == nil {
			return a, fmt.Errorf("adapter %q: %s failed without an error", d.command, req["op"])
		}
		return a, a.Error
	}
	return a, nil
}

func (d *adapterDriver) hello(c creds) (string, error) {
	if _, err := exec.LookPath("sh"); err == nil {
		d.cmd = exec.Command("sh", "-c", d.command)
	} else {
		// No shell (a scratch image): the command is words apart.
		words := strings.Fields(d.command)
		d.cmd = exec.Command(words[0], words[1:]...)
	}
	d.cmd.Stderr = os.Stderr
	var err error
	if d.in, err = d.cmd.StdinPipe(); err != nil {
		return "", err
	}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	d.out = bufio.NewScanner(stdout)
	d.out.Buffer(make([]byte, 1<<20), 16<<20)
	if err := d.cmd.Start(); err != nil {
		return "", fmt.Errorf("adapter %q: %w", d.command, err)
	}
	a, err := d.call(map[string]any{"op": "hello", "baseUrl": c.BaseURL, "appKey": c.AppKey, "appSecret": c.AppSecret, "username": c.Username, "password": c.Password})
	return a.ListenerURL, err
}

func (d *adapterDriver) register(account, url string) error {
	_, err := d.call(map[string]any{"op": "register", "account": account, "url": url})
	return err
}

func (d *adapterDriver) delete(account, smsrOID string, devices []device) (string, error) {
	a, err := d.call(map[string]any{"op": "delete", "account": account, "smsrOid": smsrOID, "devices": devices})
	return a.RequestID, err
}

func (d *adapterDriver) results(requestID string, wait time.Duration) (results, error) {
	a, err := d.call(map[string]any{"op": "results", "requestId": requestID, "waitMs": wait.Milliseconds()})
	sort.Slice(a.Final, func(i, j int) bool { return a.Final[i].EID < a.Final[j].EID })
	return a.results, err
}

func (d *adapterDriver) close() error {
	if d.cmd == nil || d.cmd.Process == nil {
		return nil
	}
	_, _ = d.call(map[string]any{"op": "bye"})
	_ = d.in.Close()
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		return fmt.Errorf("adapter %q did not stop after bye", d.command)
	}
}

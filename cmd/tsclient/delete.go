package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tssim/tssim/client"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func deleteCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	var eids, iccids listFlag
	fs.Var(&eids, "eid", "EID of a device (repeat for more devices)")
	fs.Var(&iccids, "iccid", "ICCID of the local profile to delete, one per --eid, in the same order")
	wait := fs.Bool("wait", false, "listen for the callbacks and wait for every device's final result")
	listen := fs.String("listen", "127.0.0.1:0", "with --wait: where the listener listens")
	public := fs.String("public-url", "", "with --wait: the URL ThingSpace reaches the listener at (default: the --listen address)")
	timeout := fs.Duration("timeout", 15*time.Minute, "with --wait: how long to wait for the final results")
	scenario := fs.String("scenario", "", "tssim only: the scenario every device of this request runs (X-Tssim-Scenario)")
	return func(ctx context.Context, a *app) int {
		if len(eids) == 0 || len(eids) != len(iccids) {
			return a.fail(exitUsage, "delete needs one --iccid for each --eid (got %d EIDs, %d ICCIDs)", len(eids), len(iccids))
		}
		req := client.ProfileRequest{AccountName: a.conn.account, SMSROID: a.conn.smsrOID}
		for i := range eids {
			req.Devices = append(req.Devices, client.DeviceRef{EID: eids[i], ICCID: iccids[i]})
		}
		header := http.Header{}
		if *scenario != "" {
			header.Set("X-Tssim-Scenario", *scenario)
		}
		if !*wait {
			id, err := a.api.ProfileActionWith(ctx, client.ActionDelete, req, header)
			if err != nil {
				return a.trouble("delete", err)
			}
			fmt.Fprintf(a.stdout, "requestId %s\n", id)
			return exitOK
		}
		return deleteAndWait(ctx, a, req, header, *listen, *public, *timeout)
	}
}

// deleteAndWait serves a listener, registers it in place of the account's
// own for as long as it waits, sends the request, prints each callback of
// it and a final line per device.
func deleteAndWait(ctx context.Context, a *app, req client.ProfileRequest, header http.Header, listen, public string, timeout time.Duration) int {
	l := client.NewListener()
	stop, url, err := serveListener(l, listen, "")
	if err != nil {
		return a.fail(exitTrouble, "listener: %v", err)
	}
	defer stop()
	if public != "" {
		url = public
	}
	c, err := a.conn.client(client.WithListener(l))
	if err != nil {
		return a.fail(exitUsage, "%v", err)
	}
	restore, err := borrowListener(ctx, a, c, url)
	if err != nil {
		return a.trouble("registering the listener", err)
	}
	defer restore()
	fmt.Fprintf(a.stdout, "listening at %s\n", url)
	id, err := c.ProfileActionWith(ctx, client.ActionDelete, req, header)
	if err != nil {
		return a.trouble("delete", err)
	}
	fmt.Fprintf(a.stdout, "requestId %s: waiting for %d device(s)\n", id, len(req.Devices))
	if clk, err := client.NewAdmin(a.conn.url, nil, "").Clock(ctx); err == nil && clk.Mode == "manual" {
		fmt.Fprintf(a.stdout, "tssim's clock is manual: results due later come only once it is advanced, for example:\n"+
			"  curl -X POST -d '{\"by\":\"10m\"}' %s/_sim/clock/advance\n", strings.TrimRight(a.conn.url, "/"))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	final := map[string]client.Result{}
	for r := range l.Stream(ctx) {
		if r.RequestID != id {
			continue
		}
		fmt.Fprintln(a.stdout, "callback "+describe(r))
		if r.Final {
			final[r.EID] = r
		}
		if len(final) == len(req.Devices) {
			break
		}
	}
	code := exitOK
	for _, d := range req.Devices {
		r, ok := final[d.EID]
		switch {
		case !ok:
			fmt.Fprintf(a.stdout, "final    eid=%s no final result\n", d.EID)
			code = exitTrouble
		case r.Succeeded:
			fmt.Fprintf(a.stdout, "final    eid=%s succeeded\n", d.EID)
		default:
			fmt.Fprintf(a.stdout, "final    eid=%s FAILED: %s %s %s\n", d.EID, r.EUICCStatus, r.Code, r.Description)
			if code == exitOK {
				code = exitFailed
			}
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return a.fail(exitTrouble, "timed out after %s waiting for the final results of request %s", timeout, id)
	}
	return code
}

// borrowListener registers url as the account's DeviceProfileService
// listener; restore puts back the one registered before (or removes url
// when there was none) and says what it did.
func borrowListener(ctx context.Context, a *app, c *client.Client, url string) (restore func(), err error) {
	regs, err := c.Callbacks(ctx, a.conn.account)
	if err != nil {
		return nil, err
	}
	var prev *client.CallbackRegistration
	for _, r := range regs {
		if r.ServiceName == client.ServiceDeviceProfile || r.Name == client.ServiceDeviceProfile {
			prev = &client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: r.URL, Username: r.Username, Password: r.Password}
		}
	}
	if err := c.RegisterCallback(ctx, a.conn.account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: url}); err != nil {
		return nil, err
	}
	return func() {
		ctx := context.WithoutCancel(ctx)
		if prev == nil {
			if err := c.DeregisterCallback(ctx, a.conn.account, client.ServiceDeviceProfile); err != nil {
				fmt.Fprintf(a.stderr, "tsclient: removing the listener of this run: %v\n", err)
				return
			}
			fmt.Fprintf(a.stdout, "removed the listener of this run: account %s has no DeviceProfileService listener again\n", a.conn.account)
			return
		}
		if err := c.RegisterCallback(ctx, a.conn.account, *prev); err != nil {
			fmt.Fprintf(a.stderr, "tsclient: putting back the account's listener %s: %v\n", prev.URL, err)
			return
		}
		fmt.Fprintf(a.stdout, "put back the account's DeviceProfileService listener: %s\n", prev.URL)
	}, nil
}

// describe is the one-line form of a callback.
func describe(r client.Result) string {
	return fmt.Sprintf("eid=%s status=%s euiccStatus=%s code=%s callbackCount=%d final=%v requestId=%s desc=%q",
		r.EID, r.Status, r.EUICCStatus, r.Code, r.CallbackCount, r.Final, r.RequestID, r.Description)
}

// serveListener serves l at addr; it returns how to stop it and its URL,
// with host in it when host is not "".
func serveListener(l http.Handler, addr, host string) (stop func(), url string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	at, port, _ := net.SplitHostPort(ln.Addr().String())
	if host != "" {
		at = host
	}
	return func() { _ = srv.Close() }, "http://" + net.JoinHostPort(at, port) + "/callbacks", nil
}

func listenCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	addr := fs.String("addr", "127.0.0.1:9090", "where to listen")
	register := fs.String("register", "", "register this URL of the listener for --account first (for example http://listener:9090/callbacks)")
	var fault listenerFault
	fault.flags(fs)
	return func(ctx context.Context, a *app) int {
		if err := fault.check(); err != nil {
			return a.fail(exitUsage, "%v", err)
		}
		l := client.NewListener()
		mux := http.NewServeMux()
		if fault.on() {
			mux.Handle("/", &faulty{fault: fault, next: l, out: a.stdout, stop: ctx.Done()})
		} else {
			mux.Handle("/", l)
		}
		mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
		})
		stop, url, err := serveListener(mux, *addr, "")
		if err != nil {
			return a.fail(exitTrouble, "listener: %v", err)
		}
		defer stop()
		if *register != "" {
			c, err := a.conn.client()
			if err != nil {
				return a.fail(exitUsage, "%v", err)
			}
			if err := c.RegisterCallback(ctx, a.conn.account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: *register}); err != nil {
				return a.trouble("registering the listener", err)
			}
			url = *register
		}
		fmt.Fprintf(a.stdout, "listening at %s\n", url)
		if fault.on() {
			fmt.Fprintf(a.stdout, "fault: %s\n", &fault)
		}
		for r := range l.Stream(ctx) {
			fmt.Fprintln(a.stdout, "callback "+describe(r))
		}
		return exitOK
	}
}

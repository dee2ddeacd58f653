package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tssim/tssim/client"
)

// Every command that starts an asynchronous request (delete, download,
// the line changes) sends it and prints its requestId, or with --wait
// serves a listener of its own for as long as it waits, registered in
// place of the account's listener of the request's callback service,
// prints each callback of the request and a final line per device.

// waitFlags are the flags of a command that may wait for its callbacks.
type waitFlags struct {
	wait           bool
	listen, public string
	timeout        time.Duration
	scenario       string
}

func (w *waitFlags) flags(fs *flag.FlagSet) {
	fs.BoolVar(&w.wait, "wait", false, "listen for the callbacks and wait for every device's final result")
	fs.StringVar(&w.listen, "listen", "127.0.0.1:0", "with --wait: where the listener listens")
	fs.StringVar(&w.public, "public-url", "", "with --wait: the URL ThingSpace reaches the listener at (default: the --listen address)")
	fs.DurationVar(&w.timeout, "timeout", 15*time.Minute, "with --wait: how long to wait for the final results")
	fs.StringVar(&w.scenario, "scenario", "", "tssim only: the scenario every device of this request runs (X-Tssim-Scenario)")
}

// request is an asynchronous request a command sends: what it is called,
// the callback service its results go to, the devices it names, and how
// to send it with a client and headers.
type request struct {
	what    string
	service string
	devices []client.Identifiers
	send    func(ctx context.Context, c *client.Client, header http.Header) (string, error)
}

// start sends r; with --wait it waits for its results (see waitFor).
func (w *waitFlags) start(ctx context.Context, a *app, r request) int {
	header := http.Header{}
	if w.scenario != "" {
		header.Set("X-Tssim-Scenario", w.scenario)
	}
	if !w.wait {
		id, err := r.send(ctx, a.api, header)
		if err != nil {
			return a.trouble(r.what, err)
		}
		fmt.Fprintf(a.stdout, "requestId %s\n", id)
		return exitOK
	}
	return w.waitFor(ctx, a, r, header)
}

// waitFor serves a listener, registers it in place of the account's own
// listener of r's service for as long as it waits, sends r, prints each
// callback of it and a final line per device.
func (w *waitFlags) waitFor(ctx context.Context, a *app, r request, header http.Header) int {
	l := client.NewListener()
	stop, url, err := serveListener(l, w.listen, "")
	if err != nil {
		return a.fail(exitTrouble, "listener: %v", err)
	}
	defer stop()
	if w.public != "" {
		url = w.public
	}
	c, err := a.conn.client(client.WithListener(l))
	if err != nil {
		return a.fail(exitUsage, "%v", err)
	}
	restore, err := borrowListener(ctx, a, c, r.service, url)
	if err != nil {
		return a.trouble("registering the listener", err)
	}
	defer restore()
	fmt.Fprintf(a.stdout, "listening at %s for %s\n", url, r.service)
	id, err := r.send(ctx, c, header)
	if err != nil {
		return a.trouble(r.what, err)
	}
	fmt.Fprintf(a.stdout, "requestId %s: waiting for %d device(s)\n", id, len(r.devices))
	if clk, err := client.NewAdmin(a.conn.url, nil, "").Clock(ctx); err == nil && clk.Mode == "manual" {
		fmt.Fprintf(a.stdout, "tssim's clock is manual: results due later come only once it is advanced, for example:\n"+
			"  curl -X POST -d '{\"by\":\"10m\"}' %s/_sim/clock/advance\n", strings.TrimRight(a.conn.url, "/"))
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	final := 0
	for res := range l.Stream(ctx) {
		if res.RequestID != id {
			continue
		}
		fmt.Fprintln(a.stdout, "callback "+describe(res))
		if res.Final {
			final++
		}
		if final == len(r.devices) {
			break
		}
	}
	code := exitOK
	for _, d := range r.devices {
		res, ok := l.FinalOf(id, d...)
		switch {
		case !ok:
			fmt.Fprintf(a.stdout, "final    %s no final result\n", named(d[0]))
			code = exitTrouble
		case res.Succeeded:
			fmt.Fprintf(a.stdout, "final    %s succeeded%s\n", named(d[0]), outcome(res))
		default:
			fmt.Fprintf(a.stdout, "final    %s FAILED: %s\n", named(d[0]), whyFailed(res))
			if code == exitOK {
				code = exitFailed
			}
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return a.fail(exitTrouble, "timed out after %s waiting for the final results of request %s", w.timeout, id)
	}
	return code
}

// borrowListener registers url as the account's listener of service;
// restore puts back the one registered before (or removes url when there
// was none) and says what it did.
func borrowListener(ctx context.Context, a *app, c *client.Client, service, url string) (restore func(), err error) {
	regs, err := c.Callbacks(ctx, a.conn.account)
	if err != nil {
		return nil, err
	}
	var prev *client.CallbackRegistration
	for _, r := range regs {
		if r.ServiceName == service || r.Name == service {
			prev = &client.CallbackRegistration{Name: service, URL: r.URL, Username: r.Username, Password: r.Password}
		}
	}
	if err := c.RegisterCallback(ctx, a.conn.account, client.CallbackRegistration{Name: service, URL: url}); err != nil {
		return nil, err
	}
	return func() {
		ctx := context.WithoutCancel(ctx)
		if prev == nil {
			if err := c.DeregisterCallback(ctx, a.conn.account, service); err != nil {
				fmt.Fprintf(a.stderr, "tsclient: removing the listener of this run: %v\n", err)
				return
			}
			fmt.Fprintf(a.stdout, "removed the listener of this run: account %s has no %s listener again\n", a.conn.account, service)
			return
		}
		if err := c.RegisterCallback(ctx, a.conn.account, *prev); err != nil {
			fmt.Fprintf(a.stderr, "tsclient: putting back the account's listener %s: %v\n", prev.URL, err)
			return
		}
		fmt.Fprintf(a.stdout, "put back the account's %s listener: %s\n", service, prev.URL)
	}, nil
}

// named is an identifier as tsclient prints it: kind=id.
func named(id client.DeviceID) string { return id.Kind + "=" + id.ID }

// label names the device of a result: its EID, else the identifier the
// callback names it by; "request" for a result about its request.
func label(r client.Result) string {
	switch {
	case r.EID != "":
		return named(client.EID(r.EID))
	case len(r.DeviceIDs) > 0:
		return named(r.DeviceIDs[0])
	}
	return "request"
}

// describe is the one-line form of a callback: the device, the status,
// the status code and description when the callback has them, the
// service and operation.
func describe(r client.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s status=%s", label(r), r.Status)
	for _, f := range []struct{ key, value string }{{"euiccStatus", r.EUICCStatus}, {"code", r.Code}} {
		if f.value != "" {
			fmt.Fprintf(&b, " %s=%s", f.key, f.value)
		}
	}
	if _, line := r.Message.DeviceResponse.Line(); line != nil {
		fmt.Fprintf(&b, " state=%s", line.State)
	}
	fmt.Fprintf(&b, " callbackCount=%d final=%v service=%s", r.CallbackCount, r.Final, r.Service)
	if r.Action != "" {
		fmt.Fprintf(&b, " action=%s", r.Action)
	}
	fmt.Fprintf(&b, " requestId=%s", r.RequestID)
	if r.Description != "" {
		fmt.Fprintf(&b, " desc=%q", r.Description)
	}
	return b.String()
}

// outcome is what a successful line change left: the line's state, plan,
// number, address, and when a suspended line resumes on its own.
func outcome(r client.Result) string {
	_, line := r.Message.DeviceResponse.Line()
	if line == nil {
		return ""
	}
	s := fmt.Sprintf(": %s, plan %s", line.State, line.ServicePlan)
	for _, id := range line.DeviceIDs {
		if id.Kind == "mdn" {
			s += ", mdn " + id.ID
		}
	}
	if line.IPAddress != "" {
		s += ", ip " + line.IPAddress
	}
	if line.AutoResumeDate != "" {
		s += ", resumes on its own at " + line.AutoResumeDate
	}
	return s
}

// whyFailed says why a device's request failed: the status codes and
// description the callback gives, else its status.
func whyFailed(r client.Result) string {
	var parts []string
	for _, p := range []string{r.EUICCStatus, r.Code, r.Description} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return r.Status
	}
	return strings.Join(parts, " ")
}

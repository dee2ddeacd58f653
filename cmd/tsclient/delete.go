package main

import (
	"context"
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

// deleteCmd deletes a local profile from each device.
func deleteCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	return profileCmd(fs, "delete", "ICCID of the local profile to delete", func() string { return client.ActionDelete })
}

// downloadCmd downloads a local profile onto each device, enabled with
// --enable (download_enable), else left disabled (download_disable).
func downloadCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	enable := fs.Bool("enable", false, "enable the profile once downloaded (download_enable; without it, download_disable)")
	return profileCmd(fs, "download", "ICCID of the local profile to download", func() string {
		if *enable {
			return client.ActionDownloadEnable
		}
		return client.ActionDownloadDisable
	})
}

// profileCmd runs a local-profile action (action() once the flags are
// read) on the devices of --eid and --iccid.
func profileCmd(fs *flag.FlagSet, name, iccidUsage string, action func() string) func(context.Context, *app) int {
	var eids, iccids listFlag
	fs.Var(&eids, "eid", "EID of a device (repeat for more devices)")
	fs.Var(&iccids, "iccid", iccidUsage+", one per --eid, in the same order")
	var w waitFlags
	w.flags(fs)
	return func(ctx context.Context, a *app) int {
		if len(eids) == 0 || len(eids) != len(iccids) {
			return a.fail(exitUsage, "%s needs one --iccid for each --eid (got %d EIDs, %d ICCIDs)", name, len(eids), len(iccids))
		}
		req := client.ProfileRequest{AccountName: a.conn.account, SMSROID: a.conn.smsrOID}
		devices := make([]client.Identifiers, len(eids))
		for i := range eids {
			req.Devices = append(req.Devices, client.DeviceRef{EID: eids[i], ICCID: iccids[i]})
			devices[i] = client.Identifiers{client.EID(eids[i]), client.ICCID(iccids[i])}
		}
		act := action()
		return w.start(ctx, a, request{what: act, service: client.ServiceDeviceProfile, devices: devices,
			send: func(ctx context.Context, c *client.Client, h http.Header) (string, error) {
				return c.ProfileActionWith(ctx, act, req, h)
			}})
	}
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
	services := fs.String("services", client.ServiceDeviceProfile+","+client.ServiceCarrier, "with --register: the callback services to register it for, comma-separated")
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
			for _, name := range strings.Split(*services, ",") {
				if err := c.RegisterCallback(ctx, a.conn.account, client.CallbackRegistration{Name: strings.TrimSpace(name), URL: *register}); err != nil {
					return a.trouble("registering the listener for "+name, err)
				}
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

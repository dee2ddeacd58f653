// Command tsclient is the reference ThingSpace client on the command line:
// OAuth token, session, callback registration, the local profile actions
// delete and download and the line changes activate, suspend, restore and
// deactivate (each waiting for its callbacks), a request's status, the
// device list, a callback listener, and the adapter that lets the contract
// suite in features/ drive it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/buildinfo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // a device's action ended in failure
	exitUsage   = 2
	exitTrouble = 3 // credentials, network, timeout: no answer to report
	exitPending = 4 // status: the request is still pending
)

const usage = `tsclient: a ThingSpace eUICC API client (the reference client of tssim).

Usage:
  tsclient token [--json]                          fetch an OAuth access token, print it (--json: the whole answer)
  tsclient login [--json]                          open a session, print its token
  tsclient callbacks register LISTENER_URL         register a listener (--name SERVICE: default DeviceProfileService)
  tsclient callbacks list                          list the account's listeners
  tsclient callbacks deregister [--name SERVICE]   remove a listener
  tsclient delete --eid EID --iccid ICCID [--wait] delete a local profile (repeat --eid/--iccid for more devices)
  tsclient download --eid EID --iccid ICCID [--enable] [--wait]
                                                   download a local profile, enabled with --enable
  tsclient activate --eid EID --plan PLAN --zip ZIP [--wait]
                                                   activate a deactivated line
  tsclient suspend --eid EID [--with-billing] [--wait]
                                                   suspend an active line
  tsclient restore --eid EID [--wait]              give a suspended line its service back
  tsclient deactivate --eid EID [--reason FF] [--etf-waiver] [--wait]
                                                   end an active line's service
      (the line changes name each device by --eid, --imei, --mdn or --iccid,
       repeated for more devices; --wait waits for their CarrierService callbacks)
  tsclient status REQUEST_ID [--v2] [--json]       a request's status (--v2: any request, device by device)
  tsclient devices [--state S] [--eid-contains X] [--json]
                                                   the account's devices: state, plan, enabled profile, profile status
  tsclient listen [--addr HOST:PORT]               serve a callback listener, print each callback
      [--register URL [--services S1,S2]]          ...registered for the account first (both services by default)
      [--status CODE|--hang|--drop|--garbage] [--delay DUR] [--times N]
                                                   ...answering as a broken listener would, for QA
  tsclient adapter [--http ADDR]                   speak the contract suite's adapter protocol on stdin/stdout (or HTTP)
  tsclient version                                 print the version, the commit and the Go version

Connection flags, on every command, with their environment variables:
  --url         THINGSPACE_URL         base URL (default http://127.0.0.1:8080, a local tssim)
  --app-key     THINGSPACE_APP_KEY     OAuth app key (default demo-key)
  --app-secret  THINGSPACE_APP_SECRET  OAuth app secret (default demo-secret)
  --username    THINGSPACE_USERNAME    user (default demo)
  --password    THINGSPACE_PASSWORD    password (default demo)
  --account     THINGSPACE_ACCOUNT     account name (default 1223334444-00001)
  --smsr-oid    THINGSPACE_SMSR_OID    SM-SR object id (default 1.3.6.1.4.1.31746.1.500.200.101.5)

Exit status: 0 done (every device succeeded; status: Success), 1 a
device's action failed (status: Failure), 2 bad usage, 3 no answer to
report (credentials refused, ThingSpace unreachable, timeout), 4 the
request is still pending (status only).

Run 'tsclient COMMAND --help' for a command's own flags.
`

// conn holds the connection flags shared by every command.
type conn struct {
	url, appKey, appSecret, username, password, account, smsrOID string
	// stderr gets the client's notes (a retry after a 429).
	stderr io.Writer
}

func (c *conn) flags(fs *flag.FlagSet, getenv func(string) string) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.url, "url", env("THINGSPACE_URL", "http://127.0.0.1:8080"), "ThingSpace (or tssim) base URL")
	fs.StringVar(&c.appKey, "app-key", env("THINGSPACE_APP_KEY", "demo-key"), "OAuth app key")
	fs.StringVar(&c.appSecret, "app-secret", env("THINGSPACE_APP_SECRET", "demo-secret"), "OAuth app secret")
	fs.StringVar(&c.username, "username", env("THINGSPACE_USERNAME", "demo"), "ThingSpace user")
	fs.StringVar(&c.password, "password", env("THINGSPACE_PASSWORD", "demo"), "password")
	fs.StringVar(&c.account, "account", env("THINGSPACE_ACCOUNT", "1223334444-00001"), "account name")
	fs.StringVar(&c.smsrOID, "smsr-oid", env("THINGSPACE_SMSR_OID", "1.3.6.1.4.1.31746.1.500.200.101.5"), "SM-SR object id")
}

func (c *conn) client(opts ...client.Option) (*client.Client, error) {
	return client.New(c.url, append([]client.Option{client.WithCredentials(c.appKey, c.appSecret), client.WithUser(c.username, c.password),
		client.WithOnRetry(func(r client.Retry) {
			fmt.Fprintf(c.stderr, "tsclient: %s %s answered %d: sending it again in %s\n", r.Method, r.Path, r.Status, r.Wait)
		})}, opts...)...)
}

// command is one subcommand: its flags are set up by setup, then it runs.
type command struct {
	name  string
	setup func(fs *flag.FlagSet) func(ctx context.Context, a *app) int
	// ownClient: the command makes its client itself, when it needs one
	// (listen only to register, adapter from each request).
	ownClient bool
}

// app is what a running command writes to.
type app struct {
	conn conn
	// api is the client of the connection flags.
	api    *client.Client
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	args   []string
}

func (a *app) fail(code int, format string, args ...any) int {
	fmt.Fprintf(a.stderr, "tsclient: "+format+"\n", args...)
	return code
}

// trouble reports an error of the client, saying what ThingSpace answered
// when it answered.
func (a *app) trouble(what string, err error) int {
	var e *client.Error
	if errors.As(err, &e) {
		return a.fail(exitTrouble, "%s: ThingSpace answered %d %s: %s", what, e.StatusCode, e.Code, e.Message)
	}
	return a.fail(exitTrouble, "%s: %v", what, err)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "version" || args[0] == "--version" || args[0] == "-version" {
		fmt.Fprintln(stdout, buildinfo.Read().Line("tsclient"))
		return exitOK
	}
	name := args[0]
	rest := args[1:]
	if name == "callbacks" {
		if len(rest) == 0 {
			fmt.Fprintln(stderr, "tsclient: callbacks needs register, list or deregister")
			return exitUsage
		}
		name, rest = "callbacks "+rest[0], rest[1:]
	}
	for _, cmd := range commands() {
		if cmd.name != name {
			continue
		}
		fs := flag.NewFlagSet("tsclient "+name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		a := &app{conn: conn{stderr: stderr}, stdin: stdin, stdout: stdout, stderr: stderr}
		a.conn.flags(fs, getenv)
		do := cmd.setup(fs)
		args, err := parseInterleaved(fs, rest)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		a.args = args
		if !cmd.ownClient {
			var err error
			if a.api, err = a.conn.client(); err != nil {
				return a.fail(exitUsage, "%v", err)
			}
		}
		return do(ctx, a)
	}
	fmt.Fprintf(stderr, "tsclient: unknown command %q (see tsclient --help)\n", strings.Join(args[:1], " "))
	return exitUsage
}

// parseInterleaved parses flags given before, between and after the
// arguments (tsclient status REQUEST_ID --v2), which flag.Parse stops at,
// and returns the arguments; everything after "--" is an argument.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var out []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return out, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(out, rest...), nil
		}
		out, args = append(out, rest[0]), rest[1:]
	}
}

func commands() []command {
	return []command{
		{name: "token", setup: tokenCmd},
		{name: "login", setup: loginCmd},
		{name: "callbacks register", setup: registerCmd},
		{name: "callbacks list", setup: listCmd},
		{name: "callbacks deregister", setup: deregisterCmd},
		{name: "delete", setup: deleteCmd},
		{name: "download", setup: downloadCmd},
		{name: client.LineActivate, setup: lineCmd(client.LineActivate)},
		{name: client.LineSuspend, setup: lineCmd(client.LineSuspend)},
		{name: client.LineRestore, setup: lineCmd(client.LineRestore)},
		{name: client.LineDeactivate, setup: lineCmd(client.LineDeactivate)},
		{name: "status", setup: statusCmd},
		{name: "devices", setup: devicesCmd},
		{name: "listen", setup: listenCmd, ownClient: true},
		{name: "adapter", setup: adapterCmd, ownClient: true},
	}
}

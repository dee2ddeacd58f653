package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/tssim/tssim/client"
)

func printJSON(a *app, v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	fmt.Fprintf(a.stdout, "%s\n", b)
}

// tokenCmd prints the access token alone, as a shell variable wants it
// (TOKEN=$(tsclient token)), or with --json the whole answer.
func tokenCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	asJSON := fs.Bool("json", false, "print the whole answer as JSON (token, type, expiry, scope)")
	return func(ctx context.Context, a *app) int {
		t, err := a.api.FetchToken(ctx)
		if err != nil {
			return a.trouble("token", err)
		}
		if *asJSON {
			printJSON(a, t)
		} else {
			fmt.Fprintln(a.stdout, t.AccessToken)
		}
		return exitOK
	}
}

// loginCmd prints the session token alone, or with --json the answer.
func loginCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	asJSON := fs.Bool("json", false, `print the answer as JSON ({"sessionToken": ...})`)
	return func(ctx context.Context, a *app) int {
		s, err := a.api.Login(ctx)
		if err != nil {
			return a.trouble("login", err)
		}
		if *asJSON {
			printJSON(a, map[string]string{"sessionToken": s})
		} else {
			fmt.Fprintln(a.stdout, s)
		}
		return exitOK
	}
}

func registerCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	url := fs.String("listener", "", "the listener's URL (also accepted as the only argument)")
	name := fs.String("name", client.ServiceDeviceProfile, "service name")
	user := fs.String("cb-username", "", "username echoed in every callback")
	pass := fs.String("cb-password", "", "password echoed in every callback")
	return func(ctx context.Context, a *app) int {
		if *url == "" && len(a.args) == 1 {
			*url = a.args[0]
		}
		if *url == "" {
			return a.fail(exitUsage, "callbacks register needs the listener's URL: tsclient callbacks register http://host:port/callbacks")
		}
		reg := client.CallbackRegistration{Name: *name, URL: *url, Username: *user, Password: *pass}
		if err := a.api.RegisterCallback(ctx, a.conn.account, reg); err != nil {
			return a.trouble("callbacks register", err)
		}
		fmt.Fprintf(a.stdout, "registered %s of account %s: %s\n", *name, a.conn.account, *url)
		return exitOK
	}
}

func listCmd(*flag.FlagSet) func(context.Context, *app) int {
	return func(ctx context.Context, a *app) int {
		ls, err := a.api.Callbacks(ctx, a.conn.account)
		if err != nil {
			return a.trouble("callbacks list", err)
		}
		printJSON(a, ls)
		return exitOK
	}
}

func deregisterCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	name := fs.String("name", client.ServiceDeviceProfile, "service name")
	return func(ctx context.Context, a *app) int {
		if err := a.api.DeregisterCallback(ctx, a.conn.account, *name); err != nil {
			return a.trouble("callbacks deregister", err)
		}
		fmt.Fprintf(a.stdout, "deregistered %s of account %s\n", *name, a.conn.account)
		return exitOK
	}
}

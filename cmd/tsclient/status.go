package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/tssim/tssim/client"
)

// statusCmd prints the status of a request, v1 (a line change of one
// device) or with --v2 any request, device by device. Its exit status
// says it: 0 Success, 1 Failure, 4 Pending.
func statusCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	v2 := fs.Bool("v2", false, "ask the v2 status: any request, with each device's status")
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	return func(ctx context.Context, a *app) int {
		if len(a.args) != 1 {
			return a.fail(exitUsage, "status needs one request id: tsclient status REQUEST_ID [--v2]")
		}
		ask := a.api.RequestStatus
		if *v2 {
			ask = a.api.RequestStatusV2
		}
		st, err := ask(ctx, a.conn.account, a.args[0])
		if err != nil {
			return a.trouble("status", err)
		}
		if *asJSON {
			printJSON(a, st)
		} else {
			fmt.Fprintf(a.stdout, "requestId %s: %s\n", st.RequestID, st.Status)
			for _, s := range st.Subrequests {
				fmt.Fprintf(a.stdout, "  %s %s\n", named(s.IDs), s.Status)
			}
		}
		switch st.Status {
		case client.RequestSuccess:
			return exitOK
		case client.RequestPending:
			return exitPending
		}
		return exitFailed
	}
}

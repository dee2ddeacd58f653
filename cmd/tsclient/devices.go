package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/tssim/tssim/client"
)

// devicesCmd lists the account's devices through the v1 device list,
// following its pages: a table of each device's line and profile, or
// with --json the devices as ThingSpace lists them.
func devicesCmd(fs *flag.FlagSet) func(context.Context, *app) int {
	state := fs.String("state", "", "only the devices in this service state: active, suspend, deactive")
	eidContains := fs.String("eid-contains", "", "only the devices whose EID contains this")
	asJSON := fs.Bool("json", false, "print the devices as JSON, as ThingSpace lists them")
	most := fs.Int("max", 10000, "list this many devices at most")
	return func(ctx context.Context, a *app) int {
		r := client.DeviceListRequest{AccountName: a.conn.account, CurrentState: *state}
		if *eidContains != "" {
			r.Filter = []client.IdentifierFilter{{Kind: "eid", Contains: *eidContains}}
		}
		devices, err := a.api.ListAllDevices(ctx, r, *most)
		switch {
		case errors.Is(err, client.ErrMoreDevices):
			defer fmt.Fprintf(a.stderr, "tsclient: more devices match than the %d listed: narrow the filters or raise --max\n", len(devices))
		case err != nil:
			return a.trouble("devices", err)
		}
		if *asJSON {
			printJSON(a, devices)
			return exitOK
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "EID\tSTATE\tPLAN\tENABLED\tLOCAL PROFILE\tSTATUS")
		for _, d := range devices {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", orDash(d.ID("eid")), orDash(d.State()), orDash(d.ServicePlan()), orDash(d.ID("iccid")),
				orDash(d.Attribute(client.AttrProfileICCID)), orDash(d.Attribute(client.AttrProfileStatus)))
		}
		_ = tw.Flush()
		return exitOK
	}
}

// orDash is s, or "-" in a table cell that would be empty.
func orDash(s string) string { return cmp.Or(s, "-") }

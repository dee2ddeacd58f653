package main

import (
	"context"
	"flag"
	"net/http"

	"github.com/tssim/tssim/client"
)

// lineCmd changes the service of each line named (activate, deactivate,
// suspend, restore), reported to CarrierService.
func lineCmd(action string) func(fs *flag.FlagSet) func(context.Context, *app) int {
	return func(fs *flag.FlagSet) func(context.Context, *app) int {
		var ids [4]listFlag
		kinds := [4]string{"eid", "imei", "mdn", "iccid"}
		for i, kind := range kinds {
			fs.Var(&ids[i], kind, "a device by its "+kind+" (repeat, and mix with the others, for more devices)")
		}
		var r client.LineRequest
		switch action {
		case client.LineActivate:
			fs.StringVar(&r.ServicePlan, "plan", "", "the service plan to activate the lines on (required)")
			fs.StringVar(&r.MDNZipCode, "zip", "", "the ZIP code the lines' numbers are chosen for (required)")
		case client.LineDeactivate:
			fs.StringVar(&r.ReasonCode, "reason", client.ReasonGeneral, "the reason code")
			fs.BoolVar(&r.ETFWaiver, "etf-waiver", false, "waive the early termination fee")
		case client.LineSuspend:
			fs.BoolVar(&r.WithBilling, "with-billing", false, "keep the suspended lines billed")
		}
		var w waitFlags
		w.flags(fs)
		return func(ctx context.Context, a *app) int {
			for i, kind := range kinds {
				for _, id := range ids[i] {
					r.Devices = append(r.Devices, client.Identifiers{{Kind: kind, ID: id}})
				}
			}
			switch {
			case len(r.Devices) == 0:
				return a.fail(exitUsage, "%s needs a device: --eid, --imei, --mdn or --iccid", action)
			case action == client.LineActivate && (r.ServicePlan == "" || r.MDNZipCode == ""):
				return a.fail(exitUsage, "activate needs --plan and --zip")
			}
			r.AccountName = a.conn.account
			return w.start(ctx, a, request{what: action, service: client.ServiceCarrier, devices: r.Devices,
				send: func(ctx context.Context, c *client.Client, h http.Header) (string, error) {
					return c.LineActionWith(ctx, action, r, h)
				}})
		}
	}
}

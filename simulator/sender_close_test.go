package simulator_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/simulator"
)

// Closing a server closes the connections its callbacks kept open.
func TestServerCloseClosesListenerConnections(t *testing.T) {
	closed := make(chan struct{}, 10)
	ls := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	ls.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			closed <- struct{}{}
		}
	}
	ls.Start()
	defer ls.Close()
	srv, err := simulator.New(simulator.Options{Clock: "manual", CallbackURL: ls.URL + "/cb", Sender: delivery.NewHTTPSender(4)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	api, err := client.New(hs.URL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := api.DeleteProfile(ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}})
	if err != nil {
		t.Fatal(err)
	}
	cbs, err := client.NewAdmin(hs.URL, nil, "").Callbacks(ctx, client.CallbackQuery{RequestID: id, Wait: 5 * time.Second, Min: 1})
	if err != nil || len(cbs) != 1 || cbs[0].State != "delivered" {
		t.Fatalf("the callback was not delivered: %v %+v", err, cbs)
	}
	if err := srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection to the listener is still open")
	}
}

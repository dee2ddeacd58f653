package simulator_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/tserr"
)

func TestCallbackRegistration(t *testing.T) {
	e := newEnv(t)
	reg := func(url string) error {
		return e.api.RegisterCallback(e.ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: url})
	}
	if err := reg("http://one.example/cb"); err != nil {
		t.Fatal(err)
	}
	if err := reg("https://two.example/cb"); err != nil {
		t.Fatal(err)
	}
	got, err := e.api.Callbacks(e.ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	want := []client.CallbackRegistration{{AccountName: account, ServiceName: client.ServiceDeviceProfile, URL: "https://two.example/cb"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("registering again must replace (-want +got):\n%s", diff)
	}
	if err := e.api.DeregisterCallback(e.ctx, account, client.ServiceDeviceProfile); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.api.Callbacks(e.ctx, account); len(got) != 0 {
		t.Errorf("after deregistering: %+v", got)
	}
	err = e.api.DeregisterCallback(e.ctx, account, client.ServiceDeviceProfile)
	if st, c := code(t, err); st != 400 || c != tserr.CodeCallbackNotFound {
		t.Errorf("deregistering twice: %d %s", st, c)
	}
}

func TestCallbackRegistrationErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, account, url, code string
	}{
		{"unknown account", "9999999999-00001", "http://x/cb", tserr.CodeAccountNotFound},
		{"account of another user", otherAccount, "http://x/cb", tserr.CodeAccountName},
		{"not http", account, "ftp://x/cb", tserr.CodeUnexpected},
		{"relative URL", account, "/cb", tserr.CodeUnexpected},
		{"no URL", account, "", tserr.CodeUnexpected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.api.RegisterCallback(e.ctx, tt.account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: tt.url})
			if st, c := code(t, err); st != 400 || c != tt.code {
				t.Errorf("got %d %s, want %s", st, c, tt.code)
			}
		})
	}
}

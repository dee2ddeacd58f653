// Package gen makes fixtures and request bodies of any size, for
// `tssim fixtures --devices N`, the load command and the benchmarks.
package gen

import (
	"bytes"
	"fmt"

	"github.com/tssim/tssim/internal/domain"
)

// WithDevices returns a copy of f with n more Active devices on
// account, each with a disabled bootstrap profile and an enabled local one:
// device i has EID EID(i) and local profile ICCID(i).
func WithDevices(f *domain.Fixtures, account string, n int) *domain.Fixtures {
	g := domain.Fixtures{Clients: f.Clients, Users: f.Users, Accounts: f.Accounts}
	g.Devices = append(make([]*domain.Device, 0, len(f.Devices)+n), f.Devices...)
	for i := range n {
		g.Devices = append(g.Devices, &domain.Device{
			EID: EID(i), Account: account, State: domain.StateActive,
			IMEI: fmt.Sprintf("35%013d", i), MDN: fmt.Sprintf("5%09d", i),
			IPAddress: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), ServicePlan: "RP4235311",
			Profiles: []domain.Profile{
				{ICCID: fmt.Sprintf("8901%016d", i), Type: domain.ProfileBootstrap, Status: domain.StatusDisabled},
				{ICCID: ICCID(i), Type: domain.ProfileLocal, Status: domain.StatusEnabled},
			},
		})
	}
	return &g
}

// EID is the EID of the i-th generated device.
func EID(i int) string { return fmt.Sprintf("89049032%024d", i) }

// ICCID is the enabled local profile of the i-th generated device.
func ICCID(i int) string { return fmt.Sprintf("8914%016d", i) }

// ActionBody is a profile action body for the generated devices
// from to from+n-1, each with its local profile: what benchmarks and load
// tests send.
func ActionBody(account, smsrOID string, from, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"devices":[`)
	for i := from; i < from+n; i++ {
		if i > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"deviceIds":[{"kind":"eid","id":%q},{"kind":"iccid","id":%q}]}`, EID(i), ICCID(i))
	}
	fmt.Fprintf(&b, `],"accountName":%q,"smsrOid":%q}`, account, smsrOID)
	return b.Bytes()
}

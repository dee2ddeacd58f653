// Package client is a Go client of Verizon ThingSpace's eUICC profile API
// (the M2M API's profile actions, with the OAuth token, the session and the
// callback registration they need), and a listener for the
// DeviceProfileResponse callbacks that carry their results.
//
// It works the same against ThingSpace and against tssim, the simulator of
// this module; Admin drives tssim's control API.
//
// A typical use:
//
//	c, _ := client.New("https://thingspace.verizon.com",
//		client.WithCredentials(appKey, appSecret), client.WithUser(user, password))
//	l := client.NewListener()
//	// serve l at a public URL, then:
//	_ = c.RegisterCallback(ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: publicURL})
//	id, _ := c.DeleteProfile(ctx, client.ProfileRequest{AccountName: account, SMSROID: oid,
//		Devices: []client.DeviceRef{{EID: eid, ICCID: iccid}}})
//	results, _ := l.Await(ctx, id)
//
// Errors returned by ThingSpace are *Error values carrying the HTTP status
// and the ThingSpace errorCode; test them with errors.As and compare Code,
// never the message.
package client

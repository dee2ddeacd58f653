// Package client is a Go client of Verizon ThingSpace's eUICC API: the
// OAuth token, the session and the callback registration; the local
// profile actions through the SM-SR (delete, enable, disable,
// download_enable, download_disable); the line's service changes
// (activate, deactivate, suspend, restore); the status of a request (v1,
// v2); the device lists (v1 by pages, v2 in a callback); and the Global
// IoT eSIM actions. Its Listener takes the callbacks that carry their
// results, DeviceProfileService's and CarrierService's alike.
//
// It works the same against ThingSpace and against tssim, the simulator of
// this module; Admin drives tssim's control API.
//
// A typical use:
//
//	c, _ := client.New("https://thingspace.verizon.com",
//		client.WithCredentials(appKey, appSecret), client.WithUser(user, password))
//	l := client.NewListener()
//	// serve l at a public URL, then register it for both services:
//	_ = c.RegisterCallback(ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: publicURL})
//	_ = c.RegisterCallback(ctx, account, client.CallbackRegistration{Name: client.ServiceCarrier, URL: publicURL})
//	id, _ := c.DeleteProfile(ctx, client.ProfileRequest{AccountName: account, SMSROID: oid,
//		Devices: []client.DeviceRef{{EID: eid, ICCID: iccid}}})
//	results, _ := l.Await(ctx, id)
//	id, _ = c.Suspend(ctx, client.LineRequest{AccountName: account,
//		Devices: []client.Identifiers{{client.IMEI(imei)}}})
//	results, _ = l.Await(ctx, id) // or poll c.RequestStatus(ctx, account, id)
//
// Errors returned by ThingSpace are *Error values carrying the HTTP status
// and the ThingSpace errorCode; test them with errors.As and compare Code,
// never the message. The Global IoT family (its actions, the v2 list and
// status) writes the HTTP status as its errorCode (Error.StatusForm).
//
// Where ThingSpace documents no shape, the client reads tssim's: the
// CarrierService callback (deviceResponse.<action>Response), the Global
// IoT and v2 list callbacks, and the extended attributes that carry a
// listed device's numeric id and profile status (AttrDeviceID...).
package client

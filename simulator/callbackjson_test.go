package simulator

import (
	"bytes"
	"encoding/json"
	"testing"
)

// callbackMessage is a message with every string set to s.
func callbackMessage(s string, ids []DeviceID) CallbackMessage {
	return CallbackMessage{
		Username: s, Password: s + "p", RequestID: s, DeviceIDs: ids,
		DeviceResponse: DeviceResponse{UsageResponse: []struct{}{}, DeviceProfileResponse: DeviceProfileResponse{
			DeviceIdentifierCollection: ids, IPAddress: s, State: s, ServicePlan: s,
			DeviceCredential: Credential{Username: s, Password: s}, SMSROID: s, ProfileStatus: s,
			EUICCStatus: s, EUICCStatusCode: s, EUICCStatusDesc: s,
		}},
		Status: s, CallbackCount: 3, MaxCallbackThreshold: MaxCallbackThreshold,
	}
}

func checkCallbackJSON(t *testing.T, m CallbackMessage) {
	t.Helper()
	want, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.appendJSON(nil); !bytes.Equal(got, want) {
		t.Errorf("appendJSON wrote\n%s\nencoding/json writes\n%s", got, want)
	}
}

func TestCallbackJSONAsEncodingJSON(t *testing.T) {
	seed := []DeviceID{{"eid", "666456789123456789123456784008"}, {"iccid", "89148000000840784259"}}
	for _, s := range []string{"", "Success", "a\"b\\c", "<&>", "tab\there", "é", "\u2028", "\xff", "\x7f"} {
		checkCallbackJSON(t, callbackMessage(s, seed))
	}
	checkCallbackJSON(t, callbackMessage("x", nil))
	checkCallbackJSON(t, callbackMessage("x", []DeviceID{}))
	checkCallbackJSON(t, CallbackMessage{})
}

func TestRequestIDJSONAsEncodingJSON(t *testing.T) {
	for _, id := range []string{"72834c89-80a1-44b3-8763-5401faeef71b", "", "<\"é"} {
		want, _ := json.Marshal(requestIDResponse{id})
		if got := (requestIDResponse{id}).appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("appendJSON wrote %s, encoding/json writes %s", got, want)
		}
	}
}

func FuzzCallbackJSON(f *testing.F) {
	f.Add("Success", "666456789123456789123456784008")
	f.Add("<a href='x'>", "\x00\u2029")
	f.Fuzz(func(t *testing.T, s, id string) {
		checkCallbackJSON(t, callbackMessage(s, []DeviceID{{s, id}, {id, s}}))
	})
}

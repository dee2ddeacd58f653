package simulator

import (
	"encoding/json"
	"strconv"
)

// appendJSON appends m as encoding/json writes it, byte for byte
// (TestCallbackJSONAsEncodingJSON, FuzzCallbackJSON), at a fraction of the
// cost: every callback attempt writes one.
func (m *CallbackMessage) appendJSON(b []byte) []byte {
	b = appendField(b, `{"username":`, m.Username)
	b = appendField(b, `,"password":`, m.Password)
	b = appendField(b, `,"requestId":`, m.RequestID)
	b = appendDeviceIDs(append(b, `,"deviceIds":`...), m.DeviceIDs)
	b = append(b, `,"deviceResponse":{"usageResponse":`...)
	if m.DeviceResponse.UsageResponse == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range m.DeviceResponse.UsageResponse {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "{}"...)
		}
		b = append(b, ']')
	}
	p := &m.DeviceResponse.DeviceProfileResponse
	b = appendDeviceIDs(append(b, `,"deviceProfileResponse":{"deviceIdentifierCollection":`...), p.DeviceIdentifierCollection)
	b = appendField(b, `,"ipAddress":`, p.IPAddress)
	b = appendField(b, `,"state":`, p.State)
	b = appendField(b, `,"servicePlan":`, p.ServicePlan)
	b = appendField(b, `,"deviceCredential":{"username":`, p.DeviceCredential.Username)
	b = appendField(b, `,"password":`, p.DeviceCredential.Password)
	b = appendField(b, `},"smsrOid":`, p.SMSROID)
	b = appendField(b, `,"profileStatus":`, p.ProfileStatus)
	b = appendField(b, `,"euiccStatus":`, p.EUICCStatus)
	b = appendField(b, `,"euiccStatusCode":`, p.EUICCStatusCode)
	b = appendField(b, `,"euiccStatusDesc":`, p.EUICCStatusDesc)
	b = appendField(b, `}},"status":`, m.Status)
	b = strconv.AppendInt(append(b, `,"callbackCount":`...), int64(m.CallbackCount), 10)
	b = strconv.AppendInt(append(b, `,"maxCallbackThreshold":`...), int64(m.MaxCallbackThreshold), 10)
	return append(b, '}')
}

func appendField(b []byte, prefix, s string) []byte {
	return appendJSONString(append(b, prefix...), s)
}

func appendDeviceIDs(b []byte, ids []DeviceID) []byte {
	if ids == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, `{"kind":`, id.Kind)
		b = appendField(b, `,"id":`, id.ID)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONString appends s quoted. Strings of printable ASCII that
// encoding/json leaves as they are (no quote, backslash, or the <, > and &
// it escapes for HTML) are copied; any other goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

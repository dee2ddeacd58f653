package features

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A problem in an answer is named by its place, and the protocol's
// leniencies hold: fields it does not name are ignored, an empty list may
// be left out.
func TestProtocolNamesTheWrongField(t *testing.T) {
	p, err := compileProtocol()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		op, answer      string
		pointer, saying string
	}{
		{"hello", `{"ok":true,"listenerUrl":"http://127.0.0.1:1/callbacks","name":"x","capabilities":["status"],"debug":1}`, "", ""},
		{"hello", `{"ok":true,"listenerURL":"http://127.0.0.1:1/callbacks"}`, "", "listenerUrl"},
		{"hello", `{"ok":true,"listenerUrl":"127.0.0.1:1"}`, "/listenerUrl", "does not match pattern"},
		{"hello", `{"ok":true,"listenerUrl":"http://h/","capabilities":"status"}`, "/capabilities", "expected array"},
		{"hello", `{"ok":false,"error":{"status":401,"code":"invalid_client","message":"no"}}`, "", ""},
		{"register", `{"ok":false}`, "", "error"},
		{"register", `{"ok":false,"error":{"status":"400","code":"x"}}`, "/error/status", "expected integer"},
		{"register", `{"ok":"true"}`, "/ok", "expected boolean"},
		{"delete", `{"ok":true}`, "", "requestId"},
		{"results", `{"ok":true}`, "", ""},
		{"results", `{"ok":true,"final":[{"eid":"1","status":"Success","euiccStatus":"","code":"","callbackCount":1,"final":true}]}`, "/final/0", "succeeded"},
		{"results", `{"ok":true,"received":[{"eid":"1","status":"Success","euiccStatus":"","code":"","callbackCount":0,"final":true,"succeeded":true}]}`, "/received/0/callbackCount", "must be >= 1"},
		{"status", `{"ok":true,"status":""}`, "/status", "length must be >= 1"},
		{"suspend", `{"ok":true,"requestId":"r"}`, "", ""},
		{"bye", `not JSON`, "", "not JSON"},
	} {
		pointer, problem, ok := p.check(tc.op, "answer", []byte(tc.answer))
		switch {
		case tc.saying == "" && !ok:
			t.Errorf("%s answer %s: refused at %q: %s", tc.op, tc.answer, pointer, problem)
		case tc.saying != "" && (ok || pointer != tc.pointer || !strings.Contains(problem, tc.saying)):
			t.Errorf("%s answer %s: ok %v at %q: %q; want a problem at %q saying %q", tc.op, tc.answer, ok, pointer, problem, tc.pointer, tc.saying)
		}
	}
}

// The suite's own requests are held to their schemas: an op the protocol
// lacks, or a field it does not name, is the suite's bug.
func TestProtocolHoldsTheSuitesRequests(t *testing.T) {
	p, err := compileProtocol()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.checkRequest("results", []byte(`{"op":"results","requestId":"r","waitMs":0}`)); err != nil {
		t.Error(err)
	}
	if err := p.checkRequest("results", []byte(`{"op":"results","requestId":"r","waitMs":0,"extra":1}`)); err == nil {
		t.Error("a request with a field its schema does not name passed")
	}
	if err := p.checkRequest("reboot", []byte(`{"op":"reboot"}`)); err == nil {
		t.Error("a request the protocol lacks passed")
	}
}

// Every JSON example of ADAPTER.md holds to its schema: a request to its
// op's, an answer to the op of its section's (an answer outside one to
// every op's), a callback to tssim's.
func TestAdapterDocExamplesHoldToTheSchemas(t *testing.T) {
	p, err := compileProtocol()
	if err != nil {
		t.Fatal(err)
	}
	wire, err := compileWireSchemas()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("ADAPTER.md")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile(`(?m)^### (\w+)`)
	block := regexp.MustCompile("(?s)```json\n(.*?)```")
	ops := []string{"hello", "register", "delete", "results", "status", "suspend", "restore", "bye"}
	checked := map[string]int{}
	for _, m := range block.FindAllSubmatchIndex(doc, -1) {
		body := doc[m[2]:m[3]]
		var fields map[string]json.RawMessage
		if json.Unmarshal(body, &fields) != nil {
			continue // a fragment of a callback, such as a warning's fields
		}
		section := ""
		if hs := heading.FindAllSubmatch(doc[:m[0]], -1); len(hs) > 0 {
			section = string(hs[len(hs)-1][1])
		}
		switch {
		case fields["op"] != nil:
			var op string
			_ = json.Unmarshal(fields["op"], &op)
			if err := p.checkRequest(op, body); err != nil {
				t.Errorf("ADAPTER.md's %s request: %v", op, err)
			}
			checked["request"]++
		case fields["ok"] != nil:
			answerOf := []string{section}
			if !slices.Contains(ops, section) {
				answerOf = ops
			}
			for _, op := range answerOf {
				if err := p.checkAnswer(op, body); err != nil {
					t.Errorf("ADAPTER.md's answer in section %q: %v", section, err)
				}
			}
			checked["answer"]++
		case fields["requestId"] != nil:
			if err := wire.check(callbackSchema(body), body); err != nil {
				t.Errorf("ADAPTER.md's callback in section %q breaks schemas/%s: %v", section, callbackSchema(body), err)
			}
			checked["callback"]++
		}
	}
	if checked["request"] < 7 || checked["answer"] < 6 || checked["callback"] < 3 {
		t.Errorf("checked %v examples: ADAPTER.md's sections or code blocks changed shape", checked)
	}
}

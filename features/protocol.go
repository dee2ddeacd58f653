package features

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The adapter protocol (ADAPTER.md) as JSON Schemas: adapter-schemas/
// holds, for each request the suite sends, OP.request.json, and for the
// adapter's answer to it, OP.answer.json. The suite checks what it sends
// against the first (its own bug when it fails) and what it reads against
// the second, so that an answer with a field of the wrong name or type is
// reported as that, naming the field, rather than as a client that got
// something wrong.

// protocolDir is where the schemas are, in the repository and in
// protocolFiles.
const protocolDir = "adapter-schemas"

// protocol holds the compiled schemas, by file name.
type protocol map[string]*jsonschema.Schema

func compileProtocol() (protocol, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	names, err := fs.Glob(protocolFiles, protocolDir+"/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := protocolFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if err := c.AddResource(path.Base(name), bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	p := protocol{}
	for _, name := range names {
		base := path.Base(name)
		if !strings.HasSuffix(base, ".request.json") && !strings.HasSuffix(base, ".answer.json") {
			continue
		}
		if p[base], err = c.Compile(base); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return p, nil
}

// protocolError is an adapter's answer that breaks the protocol: the
// adapter's fault, whatever its client does.
type protocolError struct {
	op, schema string
	// pointer is where in the answer (a JSON pointer, "" for the whole
	// answer), problem what is wrong there.
	pointer, problem string
	answer           []byte
}

func (e *protocolError) Error() string {
	where := "at " + e.pointer
	if e.pointer == "" {
		where = "at its top level"
	}
	return fmt.Sprintf("the answer to %s breaks the adapter protocol (%s/%s) %s: %s; the answer: %s",
		e.op, protocolDir, e.schema, where, e.problem, trim(e.answer))
}

// check validates one message of op ("request" or "answer"); it returns
// where the first problem is and what it is, or ok.
func (p protocol) check(op, which string, body []byte) (pointer, problem string, ok bool) {
	s := p[op+"."+which+".json"]
	if s == nil {
		return "/op", fmt.Sprintf("%q is no request of the protocol", op), false
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return "", "not JSON: " + err.Error(), false
	}
	err := s.Validate(doc)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return "", "", err == nil
	}
	// The deepest first cause: the field, not the schema around it.
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	return ve.InstanceLocation, ve.Message, false
}

// checkAnswer returns a *protocolError when an answer to op breaks its
// schema.
func (p protocol) checkAnswer(op string, answer []byte) error {
	pointer, problem, ok := p.check(op, "answer", answer)
	if ok {
		return nil
	}
	return &protocolError{op: op, schema: op + ".answer.json", pointer: pointer, problem: problem, answer: answer}
}

// checkRequest fails when the suite is about to send a request its own
// schema does not describe: a bug of the suite.
func (p protocol) checkRequest(op string, req []byte) error {
	if pointer, problem, ok := p.check(op, "request", req); !ok {
		return fmt.Errorf("the suite's own %s request breaks %s/%s.request.json at %q: %s (a bug of tssim's; please report it)", op, protocolDir, op, pointer, problem)
	}
	return nil
}

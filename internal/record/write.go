package record

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
)

// write turns what was seen into lines, secrets replaced, in the order it
// completed, until Close; it flushes whenever nothing more waits, so that
// the file is current while the client pauses.
func (p *Proxy) write() {
	defer close(p.done)
	for s := range p.queue {
		e := p.entry(s)
		p.line(e)
		if e.Type == TypeExchange {
			p.counts.exchanges++
		} else {
			p.counts.callbacks++
		}
		if len(p.queue) == 0 {
			if err := p.out.Flush(); err != nil && p.err == nil {
				p.err = err
			}
		}
	}
}

// line writes e as one line, every secret the redactor knows replaced
// wherever it stands. The first error is kept for Close, and the lines
// after it are dropped.
func (p *Proxy) line(e *Entry) {
	if p.err != nil {
		return
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		p.err = err
		return
	}
	if _, err := p.out.Write(p.redactor.scrub(b.Bytes())); err != nil {
		p.err = err
	}
}

// entry is the line of s, its secrets replaced.
func (p *Proxy) entry(s *seen) *Entry {
	r := p.redactor
	e := s.entry
	reqRules, respRules := bodyRules{credentials: s.registers}, bodyRules{credentials: s.lists}
	if e.Type == TypeCallback {
		reqRules = bodyRules{credentials: true}
		e.ForwardedTo = r.url(s.forwarded)
		e.Request = r.message(s.req, reqRules)
		return &e
	}
	e.Request = r.message(s.req, reqRules)
	if s.resp != nil {
		e.Response = r.message(*s.resp, respRules)
	}
	return &e
}

// message is a request or an answer as recorded.
func (r *redactor) message(m raw, rules bodyRules) *Message {
	out := &Message{Method: m.method, Path: m.path, Status: m.status, Omitted: m.size}
	names := RecordedHeaders
	if m.status != 0 {
		names = recordedAnswerHeaders
	}
	out.Headers = r.headers(m.header, names)
	if m.query != "" {
		if q, ok := r.form(m.query); ok {
			out.Query = q
		} else {
			out.Query = r.label(kindURLSecret, m.query, true)
		}
	}
	if len(m.body) == 0 {
		return out
	}
	if isForm(m.header) {
		if f, ok := r.form(string(m.body)); ok {
			out.Text = f
		} else {
			out.Omitted = int64(len(m.body))
		}
		return out
	}
	if b, ok := r.json(m.body, rules); ok {
		out.Body = b
		return out
	}
	out.Text = string(m.body)
	return out
}

func isForm(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

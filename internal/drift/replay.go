package drift

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tssim/tssim/internal/jsonptr"
	"github.com/tssim/tssim/internal/record"
	"github.com/tssim/tssim/internal/validate"
	"github.com/tssim/tssim/simulator"
)

// Options configure a drift run.
type Options struct {
	// Name names the recording in the report.
	Name string
	// URL is a running tssim to replay against, in a world drift makes
	// there and removes after; "" starts one in process.
	URL string
	// AdminToken is that tssim's --admin-token, if it has one.
	AdminToken string
	// Tolerance is how far a callback's time after its request may stray
	// from the recorded one before it is drift (default 30 s).
	Tolerance time.Duration
	// Listen is the address of the listener that takes tssim's callbacks
	// (default 127.0.0.1:0); PublicURL is where tssim reaches it (default
	// http:// and the address listened on).
	Listen, PublicURL string
}

// DefaultTolerance is how far a callback's time may stray by default: a
// real ThingSpace takes seconds where tssim takes none.
const DefaultTolerance = 30 * time.Second

// maxAnswer bounds an answer of tssim that drift reads.
const maxAnswer = 64 << 20

// Run replays a recording against tssim and reports where tssim differs.
// An error means no comparison could be made: the recording names no
// world tssim can be given, or tssim could not be reached.
func Run(ctx context.Context, rec *record.Recording, opts Options) (*Report, error) {
	if opts.Tolerance <= 0 {
		opts.Tolerance = DefaultTolerance
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	s := analyse(rec)
	if len(s.exchanges) == 0 {
		return nil, ErrNoRecording
	}
	fx, notes := s.fixtures()
	if err := checkFixtures(fx); err != nil {
		return nil, err
	}
	r := &replay{s: s, opts: opts, hc: &http.Client{Timeout: time.Minute}, fwd: map[string]string{}, back: map[string]string{},
		replayedAt: map[int]time.Duration{}, acks: map[string][]int{}}
	report := &Report{Recording: opts.Name, Target: opts.URL, Exchanges: len(s.exchanges), Callbacks: len(s.callbacks),
		Devices: len(fx.Devices), Tolerance: opts.Tolerance.String(), Notes: notes, Differences: []Difference{}}
	if report.Notes == nil {
		report.Notes = []string{}
	}
	for _, x := range s.exchanges {
		report.requests = append(report.requests, x.name())
	}
	root := opts.URL
	if root == "" {
		report.Target = "tssim in process"
		var stop func()
		var err error
		if root, stop, err = startTssim(); err != nil {
			return nil, err
		}
		defer stop()
	}
	r.root = strings.TrimSuffix(root, "/")
	stop, err := r.listen()
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := r.makeWorld(ctx, fx); err != nil {
		return nil, err
	}
	defer r.removeWorld()
	for _, c := range s.callbacks {
		status := c.ack
		if status == 0 {
			status = http.StatusBadGateway // the recorder answered so when the client did not
		}
		r.acks[c.device] = append(r.acks[c.device], status)
	}
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	report.Notes = append(report.Notes, r.notes...)
	report.Differences = append(r.diffs, r.compareCallbacks()...)
	slices.SortStableFunc(report.Differences, func(a, b Difference) int { return a.Seq - b.Seq })
	return report, nil
}

// checkFixtures holds derived fixtures to tssim's schema.
func checkFixtures(fx *Fixtures) error {
	v, err := validate.NewValidator()
	if err != nil {
		return err
	}
	b, err := json.Marshal(fx)
	if err != nil {
		return err
	}
	if _, err := v.LoadFixtures("the fixtures derived from the recording", b); err != nil {
		return err
	}
	return nil
}

// startTssim starts a tssim in process on a manual clock, on 127.0.0.1.
func startTssim() (string, func(), error) {
	srv, err := simulator.New(simulator.Options{Clock: "manual", Logger: slog.New(slog.DiscardHandler), Workers: 8})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close(context.Background())
		return "", nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = srv.Close(ctx)
	}, nil
}

// replay is one drift run.
type replay struct {
	s    *session
	opts Options
	hc   *http.Client
	// root is tssim's URL, world the world drift made there and base
	// that world's URL; listener is the base URL of drift's listener.
	root, world, base, listener string
	// clock0 is the world's time when it was made; cur how far drift
	// has moved it since.
	clock0 time.Time
	cur    time.Duration
	// fwd turns the recording's tokens (their labels) and requestIds
	// into tssim's, back the other way.
	fwd, back map[string]string
	// replayedAt is where the clock stood when each exchange (by Seq)
	// was replayed.
	replayedAt map[int]time.Duration
	diffs      []Difference
	notes      []string

	// mu guards what the listener touches: the callbacks tssim sent, the
	// statuses to answer each device's with, in order (the recorded
	// client's), the device index, and cur.
	mu   sync.Mutex
	got  []*callback
	acks map[string][]int
}

// control calls tssim's control API at base.
func (r *replay) control(ctx context.Context, method, u string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if r.opts.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+r.opts.AdminToken)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// makeWorld makes drift's world, on a manual clock, from the fixtures.
func (r *replay) makeWorld(ctx context.Context, fx *Fixtures) error {
	var id [6]byte
	_, _ = rand.Read(id[:])
	r.world = "drift-" + hex.EncodeToString(id[:])
	if err := r.control(ctx, http.MethodPut, r.root+"/_sim/worlds/"+r.world, map[string]any{"clock": "manual", "fixtures": fx}, nil); err != nil {
		return fmt.Errorf("making a world in tssim (with --admin-token if it has one): %w", err)
	}
	r.base = r.root + "/w/" + r.world
	now, err := r.now(ctx)
	if err != nil {
		return err
	}
	r.clock0 = now
	return nil
}

func (r *replay) removeWorld() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = r.control(ctx, http.MethodDelete, r.root+"/_sim/worlds/"+r.world, nil, nil)
}

// now is the world's time.
func (r *replay) now(ctx context.Context) (time.Time, error) {
	var v struct {
		Now time.Time `json:"now"`
	}
	err := r.control(ctx, http.MethodGet, r.base+"/_sim/clock", nil, &v)
	return v.Now, err
}

// advance moves the world's clock by d (0: waits for the callbacks under
// way), the callbacks falling due delivered before it returns.
func (r *replay) advance(ctx context.Context, d time.Duration) error {
	return r.control(ctx, http.MethodPost, r.base+"/_sim/clock/advance", map[string]string{"by": d.String()}, nil)
}

// moveTo moves the world's clock to off after its start, in whole
// milliseconds (the control API takes no finer), unless it stands there
// or later.
func (r *replay) moveTo(ctx context.Context, off time.Duration) error {
	off = off.Round(time.Millisecond)
	if off <= r.cur {
		return nil
	}
	if err := r.advance(ctx, off-r.cur); err != nil {
		return err
	}
	r.mu.Lock()
	r.cur = off
	r.mu.Unlock()
	return nil
}

// run replays the exchanges in order, the clock moved to each line's
// time first, and then to the end of the recording.
func (r *replay) run(ctx context.Context) error {
	bySeq := map[int]*exchange{}
	for _, x := range r.s.exchanges {
		bySeq[x.e.Seq] = x
	}
	rec := r.s.rec
	for i := range rec.Entries {
		e := &rec.Entries[i]
		if err := r.moveTo(ctx, rec.Offset(e)); err != nil {
			return err
		}
		x := bySeq[e.Seq]
		switch {
		case x == nil:
		case x.e.Request.Omitted > 0:
			r.notes = append(r.notes, x.name()+": its body was too large to record: not replayed")
		default:
			if err := r.replay(ctx, x); err != nil {
				return err
			}
		}
	}
	if rec.End != nil {
		if err := r.moveTo(ctx, rec.Offset(rec.End)); err != nil {
			return err
		}
	}
	return r.advance(ctx, 0)
}

// replay sends one recorded request to the world, waits for the
// callbacks it sent at once, and compares the answer.
func (r *replay) replay(ctx context.Context, x *exchange) error {
	req, err := r.request(ctx, x)
	if err != nil {
		return err
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("replaying %s: %w", x.name(), err)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("replaying %s: %w", x.name(), err)
	}
	r.replayedAt[x.e.Seq] = r.cur
	got, text := decode(b), ""
	if got == nil {
		text = string(b)
	}
	r.learn(x.answer, got)
	r.compare(x, resp.StatusCode, got, text)
	return r.advance(ctx, 0)
}

// request is a recorded request as tssim's world is to get it: tokens and
// requestIds tssim's, secrets the labels they were recorded as (the
// secrets of the derived fixtures), listener URLs drift's.
func (r *replay) request(ctx context.Context, x *exchange) (*http.Request, error) {
	m := x.e.Request
	segs := strings.Split(m.Path, "/")
	for i, seg := range segs {
		segs[i] = r.sub(seg)
	}
	u := r.base + strings.Join(segs, "/")
	if m.Query != "" {
		u += "?" + r.subForm(m.Query)
	}
	var body []byte
	switch {
	case m.Body != nil:
		v := decode(m.Body)
		if reg, ok := v.(map[string]any); ok && r.s.catalogue.Registers(x.op) {
			name, _ := reg["name"].(string)
			reg["url"] = r.listener + "/" + url.PathEscape(accountOf(x)) + "/" + url.PathEscape(name)
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(jsonptr.MapStrings(v, r.sub)); err != nil {
			return nil, err
		}
		body = bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	case m.Text != "" && strings.HasPrefix(m.Headers["Content-Type"], "application/x-www-form-urlencoded"):
		body = []byte(r.subForm(m.Text))
	default:
		body = []byte(m.Text)
	}
	req, err := http.NewRequestWithContext(ctx, m.Method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range m.Headers {
		switch k {
		case "Authorization":
			scheme, cred, _ := strings.Cut(v, " ")
			if key, secret, ok := basic(v); ok {
				v = basicHeader(key, secret)
			} else {
				v = scheme + " " + r.sub(cred)
			}
		case "Vz-M2m-Token":
			v = r.sub(v)
		}
		req.Header.Set(k, v)
	}
	return req, nil
}

// sub is tssim's value for a recorded token or requestId, else v.
func (r *replay) sub(v string) string {
	if w, ok := r.fwd[v]; ok {
		return w
	}
	return v
}

func (r *replay) subForm(s string) string {
	q, err := url.ParseQuery(s)
	if err != nil {
		return s
	}
	for _, vals := range q {
		for i := range vals {
			vals[i] = r.sub(vals[i])
		}
	}
	return q.Encode()
}

// randomFields hold values that are random by nature: what the
// recording's answer had there stands for what tssim's has.
var randomFields = []string{"access_token", "refresh_token", "sessionToken", "requestId"}

// learn pairs the random values of a recorded answer with tssim's.
func (r *replay) learn(rec, got any) {
	for _, f := range randomFields {
		rv, _ := find(rec, f).(string)
		gv, _ := find(got, f).(string)
		if rv != "" && gv != "" {
			r.fwd[rv], r.back[gv] = gv, rv
		}
	}
}

// normalize puts the recording's values in place of tssim's random ones
// in a text, for messages to be compared.
func (r *replay) normalize(s string) string {
	for got, rec := range r.back {
		s = strings.ReplaceAll(s, got, rec)
	}
	return s
}

// compare finds the differences between a recorded answer and tssim's.
func (r *replay) compare(x *exchange, status int, got any, text string) {
	rec := x.e.Response
	d := Difference{Seq: x.e.Seq, Request: x.name()}
	if rec.Status != status {
		d.Kind, d.Summary = KindStatus, fmt.Sprintf("status: ThingSpace answered %d, tssim %d", rec.Status, status)
		d.ThingSpace, d.Tssim = []string{answerLine(rec.Status, x.answer, rec.Text)}, []string{answerLine(status, got, text)}
		r.diffs = append(r.diffs, d)
		return
	}
	if status >= 400 {
		if lines := errorDiffs(x.answer, got, r.normalize); len(lines) > 0 {
			d.Kind = KindError
			d.Summary, d.Details = summarize("error", lines)
			r.diffs = append(r.diffs, d)
		}
	}
	if rec.Omitted > 0 {
		return
	}
	if lines := diffShapes(shapeOf(x.answer, rec.Text), shapeOf(got, text)); len(lines) > 0 {
		d.Kind = KindShape
		d.Summary, d.Details = summarize("answer shape", lines)
		r.diffs = append(r.diffs, d)
	}
}

// summarize makes a difference's summary (its one line, or how many there
// are) and its details.
func summarize(what string, lines []string) (string, []string) {
	if len(lines) == 1 {
		return what + ": " + lines[0], lines
	}
	return fmt.Sprintf("%s: %d places differ", what, len(lines)), lines
}

// answerLine is an answer in one line: its status and its error code.
func answerLine(status int, body any, text string) string {
	for _, path := range [][]string{{"errorCode"}, {"error"}, {"fault", "code"}} {
		if code, ok := at(body, path); ok {
			msg, _ := at(body, []string{"errorMessage"})
			if msg == "" {
				msg, _ = at(body, []string{"error_description"})
			}
			return strings.TrimSpace(fmt.Sprintf("%d %s %s", status, code, msg))
		}
	}
	if body == nil && text != "" {
		return fmt.Sprintf("%d %q", status, text)
	}
	return fmt.Sprint(status)
}

// listen starts drift's listener for the world's callbacks:
// /{account}/{service}. It answers each device's callbacks as the
// recorded client did, in order (200 past them).
func (r *replay) listen() (func(), error) {
	ln, err := net.Listen("tcp", r.opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("callback listener: %w", err)
	}
	r.listener = strings.TrimSuffix(r.opts.PublicURL, "/")
	if r.listener == "" {
		r.listener = "http://" + ln.Addr().String()
	}
	hs := &http.Server{Handler: http.HandlerFunc(r.take), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}, nil
}

// take is drift's listener.
func (r *replay) take(w http.ResponseWriter, req *http.Request) {
	_, service, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/")
	service, _ = url.PathUnescape(service)
	b, err := io.ReadAll(io.LimitReader(req.Body, record.MaxRecordedBody))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	c := &callback{service: service, body: decode(b)}
	now, err := r.now(req.Context())
	r.mu.Lock()
	c.offset = now.Sub(r.clock0)
	if err != nil {
		c.offset = r.cur // where drift last moved the clock
	}
	// The index is not safe for concurrent use: under mu.
	c.device = r.s.devices.subject(c.body)
	c.ack = http.StatusOK
	if q := r.acks[c.device]; len(q) > 0 {
		c.ack, r.acks[c.device] = q[0], q[1:]
	}
	c.seq = len(r.got) + 1
	r.got = append(r.got, c)
	r.mu.Unlock()
	w.WriteHeader(c.ack)
}

// compareCallbacks compares, for each request and device, the callbacks
// the recording has with those tssim sent: what each says (service,
// status, euiccStatus, codes, callbackCount), then when each came after
// its request, then the fields of each.
func (r *replay) compareCallbacks() []Difference {
	type key struct {
		seq    int
		device string
	}
	var keys []key
	recorded, sent := map[key][]*callback{}, map[key][]*callback{}
	reqOf := map[key]*exchange{}
	add := func(m map[key][]*callback, c *callback, x *exchange) {
		k := key{device: c.device}
		if x != nil {
			k.seq = x.e.Seq
		}
		if _, ok := reqOf[k]; !ok {
			keys = append(keys, k)
			reqOf[k] = x
		}
		m[k] = append(m[k], c)
	}
	for _, c := range r.s.callbacks {
		add(recorded, c, c.request)
	}
	r.mu.Lock()
	got := slices.Clone(r.got)
	r.mu.Unlock()
	for _, c := range got {
		c.request = r.s.byRequestID[r.back[requestID(c.body)]]
		add(sent, c, c.request)
	}
	var out []Difference
	for _, k := range keys {
		x := reqOf[k]
		d := Difference{Seq: k.seq, Request: "(no request of the recording)", Device: k.device}
		var recAt, gotAt time.Duration
		if x != nil {
			d.Request, recAt, gotAt = x.name(), x.offset, r.replayedAt[x.e.Seq]
		}
		rc, gc := recorded[k], sent[k]
		ri, gi := items(rc, recAt), items(gc, gotAt)
		if !slices.EqualFunc(ri, gi, func(a, b item) bool { return a.key() == b.key() }) {
			d.Kind, d.Summary = KindCallbacks, fmt.Sprintf("callbacks: ThingSpace sent %d, tssim %d, and they differ", len(ri), len(gi))
			if len(ri) == len(gi) {
				d.Summary = fmt.Sprintf("callbacks: the %d sent differ", len(ri))
			}
			d.ThingSpace, d.Tssim = itemStrings(ri), itemStrings(gi)
			out = append(out, d)
			continue
		}
		var late, fields []string
		for i := range ri {
			if diff := ri[i].after - gi[i].after; diff > r.opts.Tolerance || -diff > r.opts.Tolerance {
				late = append(late, fmt.Sprintf("callback %d (%s %s): ThingSpace at +%s, tssim at +%s", i+1, ri[i].service, ri[i].status, ri[i].after, gi[i].after))
			}
			for _, l := range diffShapes(shapeOf(rc[i].body, ""), shapeOf(gc[i].body, "")) {
				if !slices.Contains(fields, l) {
					fields = append(fields, l)
				}
			}
		}
		if len(late) > 0 {
			t := d
			t.Kind, t.Summary, t.Details = KindTiming, fmt.Sprintf("timing: %d callback%s beyond %s of the recorded time", len(late), plural(len(late)), r.opts.Tolerance), late
			out = append(out, t)
		}
		if len(fields) > 0 {
			d.Kind = KindCallbackShape
			d.Summary, d.Details = summarize("callback shape", fields)
			out = append(out, d)
		}
	}
	return out
}

// items are the callbacks' items, each timed from its request at from.
func items(cs []*callback, from time.Duration) []item {
	out := make([]item, len(cs))
	for i, c := range cs {
		out[i] = itemOf(c, c.offset-from)
	}
	return out
}

// ErrNoRecording is returned for a recording with no exchange: there is
// nothing to replay.
var ErrNoRecording = errors.New("the recording holds no answered request")

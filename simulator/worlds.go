package simulator

import (
	"context"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/state"
	"github.com/tssim/tssim/internal/tserr"
)

// Worlds: http://HOST:PORT/w/{name}/ serves a whole simulator of its own,
// made on first use (or by PUT /_sim/worlds/{name}), removed by DELETE or
// after --world-ttl unused.

// WorldPrefix starts the base URL of a world other than the default one.
const WorldPrefix = "/w/"

var worldName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

type worldKey struct{}

// worldOf is the world a request is for.
func worldOf(r *http.Request) *world { return r.Context().Value(worldKey{}).(*world) }

// serveHTTP finds the world of a request, by its path, and serves it there
// with the world's prefix taken off the path.
func (h *Server) serveHTTP(rw http.ResponseWriter, r *http.Request) {
	w := h.root
	if rest, ok := strings.CutPrefix(r.URL.Path, WorldPrefix); ok {
		start := time.Now()
		name, sub, _ := strings.Cut(rest, "/")
		var err error
		if w, err = h.world(name, r); err != nil {
			a := errorAnswer(rw, err, &requestRecord{})
			a.write(rw)
			h.metrics.Request(opWorld, a.status, time.Since(start))
			return
		}
		r2 := *r
		u := *r.URL
		// Cleaned here, so that no ".." leads out of the world.
		u.Path, u.RawPath = path.Clean("/"+sub), ""
		r2.URL = &u
		r = &r2
	}
	w.touch()
	if rt := h.exact[routeKey{r.Method, r.URL.Path}]; rt != nil {
		h.serveIn(w, rt, rw, r)
		return
	}
	h.router.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), worldKey{}, w)))
}

// world returns the world of that name, made from the fixtures when there
// is none yet and r may make it (mayCreate).
func (h *Server) world(name string, r *http.Request) (*world, error) {
	if err := checkWorldName(name); err != nil {
		return nil, err
	}
	h.mu.RLock()
	w := h.worlds[name]
	h.mu.RUnlock()
	if w != nil {
		return w, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if w := h.worlds[name]; w != nil {
		return w, nil
	}
	creator, err := h.mayCreate(name, r)
	if err != nil {
		return nil, err
	}
	return h.createWorld(worldSpec{Name: name, Clock: h.opts.Clock, TimeScale: h.opts.TimeScale, Creator: creator})
}

// mayCreate decides whether a request to a world that does not exist makes
// it, and returns whom the world is counted against: with --worlds
// explicit, none does; with an admin token, only a request bearing it
// (counted against no one); else any request, counted against its source
// address, at most --max-worlds-per-source of them, so that no one client
// takes every world. h.mu is held.
func (h *Server) mayCreate(name string, r *http.Request) (string, error) {
	switch {
	case h.opts.Worlds == WorldsExplicit:
		return "", tserr.New(404, tserr.CodeSimWorldNotFound, "world %s does not exist, and this tssim makes worlds only through PUT /_sim/worlds/%s (--worlds explicit)", name, name)
	case h.opts.AdminToken != "":
		if bearerToken(r) != h.opts.AdminToken {
			return "", tserr.New(404, tserr.CodeSimWorldNotFound, "world %s does not exist: with --admin-token set, make it with PUT /_sim/worlds/%s (or a first request bearing the admin token)", name, name)
		}
		return "", nil
	}
	return h.countCreator(sourceOf(r))
}

// countCreator refuses a source that holds --max-worlds-per-source worlds
// already; h.mu is held.
func (h *Server) countCreator(source string) (string, error) {
	n := 0
	for _, w := range h.worlds {
		if w.spec.Creator == source {
			n++
		}
	}
	if n >= h.opts.MaxWorldsPerSource {
		return "", tserr.New(409, tserr.CodeSimWorldLimit, "%s made %d worlds, the limit of one source (--max-worlds-per-source): remove one with DELETE /_sim/worlds/{name}, or wait for an unused one to expire (--world-ttl %s)", source, n, h.opts.WorldTTL)
	}
	return source, nil
}

// sourceOf is the address a request comes from, without its port.
func sourceOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func checkWorldName(name string) error {
	if !worldName.MatchString(name) || name == "." || name == ".." {
		return tserr.BadRequest(tserr.CodeSimBadWorld, "world name %q: 1 to 64 letters, digits, '.', '_' or '-' (and not . or ..)", name)
	}
	return nil
}

// createWorld makes a world from spec and adds it; h.mu is held.
func (h *Server) createWorld(spec worldSpec) (*world, error) {
	if len(h.worlds) >= h.opts.MaxWorlds {
		return nil, tserr.New(409, tserr.CodeSimWorldLimit, "%d worlds exist, the limit (--max-worlds): remove one with DELETE /_sim/worlds/{name}, or wait for an unused one to expire (--world-ttl %s)", len(h.worlds), h.opts.WorldTTL)
	}
	f := h.fixtures
	if len(spec.Fixtures) > 0 {
		var err error
		if f, err = h.validator.LoadFixtures("/fixtures", spec.Fixtures); err != nil {
			return nil, tserr.BadRequest(tserr.CodeUnexpected, "%s", err)
		}
	}
	w, err := h.newWorld(spec, f)
	if err != nil {
		return nil, tserr.BadRequest(tserr.CodeUnexpected, "world %s: %s", spec.Name, err)
	}
	h.worlds[spec.Name] = w
	if h.keeper != nil {
		h.made = append(h.made, change.Encode(state.KindWorld, spec.Name, &w.spec))
		h.keeper.Changed()
	}
	h.log.Info("world created", "world", spec.Name, "clock", spec.Clock, "ownFixtures", len(spec.Fixtures) > 0)
	return w, nil
}

// detachWorld takes a world out, and its records out of the state file
// (a world made again under its name starts from its fixtures); h.mu is
// held. The caller ends it with w.end once h.mu is released.
func (h *Server) detachWorld(name string) *world {
	w := h.worlds[name]
	if w == nil {
		return nil
	}
	delete(h.worlds, name)
	if h.keeper != nil {
		h.gone = append(h.gone, name)
		h.keeper.Changed()
	}
	return w
}

// end drops a detached world's pending callbacks and stops its timers,
// waiting for its attempts under way for one callback timeout at most.
func (w *world) end(why string) {
	ctx, cancel := context.WithTimeout(context.Background(), w.env.callbackTimeout)
	defer cancel()
	_ = w.close(ctx)
	w.env.log.Info("world removed", "world", w.spec.Name, "why", why)
}

// sweep removes the worlds unused for --world-ttl.
func (h *Server) sweep() {
	h.mu.Lock()
	cutoff := h.now().Add(-h.opts.WorldTTL).UnixNano()
	var expired []*world
	for name, w := range h.worlds {
		if w.lastUsed.Load() < cutoff {
			expired = append(expired, h.detachWorld(name))
		}
	}
	h.mu.Unlock()
	for _, w := range expired {
		w.end("unused for --world-ttl " + h.opts.WorldTTL.String())
	}
}

func (h *Server) sweepEvery(d time.Duration) {
	defer close(h.swept)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			h.sweep()
		case <-h.stopSweep:
			return
		}
	}
}

// worldView is a world as GET /_sim/worlds lists it.
type worldView struct {
	Name      string    `json:"name"`
	Clock     string    `json:"clock"`
	Created   time.Time `json:"created"`
	LastUsed  time.Time `json:"lastUsed"`
	Devices   int       `json:"devices"`
	Pending   int       `json:"pendingCallbacks"`
	Fixtures  string    `json:"fixtures"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (w *world) view() worldView {
	used := time.Unix(0, w.lastUsed.Load()).UTC()
	fix := "the server's"
	if len(w.spec.Fixtures) > 0 {
		fix = "its own"
	}
	return worldView{Name: w.spec.Name, Clock: w.spec.Clock, Created: w.spec.Created, LastUsed: used,
		Devices: w.sim.DeviceCount(), Pending: w.dispatcher.Stats().Pending, Fixtures: fix, ExpiresAt: used.Add(w.env.ttl)}
}

func (h *Server) listWorlds(*world, *call) (any, error) {
	h.mu.Lock()
	worlds := slices.Collect(maps.Values(h.worlds))
	h.mu.Unlock()
	out := make([]worldView, 0, len(worlds))
	for _, x := range worlds {
		out = append(out, x.view())
	}
	slices.SortFunc(out, func(a, b worldView) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// worldRequest is the body of PUT /_sim/worlds/{name}, all optional.
type worldRequest struct {
	Clock     string          `json:"clock"`
	TimeScale float64         `json:"timeScale"`
	Fixtures  json.RawMessage `json:"fixtures"`
}

func (h *Server) putWorld(_ *world, c *call, in *worldRequest) (any, error) {
	name := c.Vars["name"]
	if err := checkWorldName(name); err != nil {
		return nil, err
	}
	spec := worldSpec{Name: name, Clock: in.Clock, TimeScale: in.TimeScale, Fixtures: in.Fixtures}
	if h.opts.AdminToken == "" {
		h.mu.Lock()
		var err error
		if h.worlds[name] == nil {
			spec.Creator, err = h.countCreator(sourceOf(c.R))
		} else {
			spec.Creator = h.worlds[name].spec.Creator
		}
		h.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	if spec.Clock == "" {
		spec.Clock = h.opts.Clock
	}
	if spec.TimeScale == 0 {
		spec.TimeScale = h.opts.TimeScale
	}
	h.mu.Lock()
	old := h.detachWorld(name)
	nw, err := h.createWorld(spec)
	h.mu.Unlock()
	if old != nil {
		old.end("replaced by PUT /_sim/worlds/" + name)
	}
	if err != nil {
		return nil, err
	}
	return nw.view(), nil
}

func (h *Server) deleteWorld(_ *world, c *call) (any, error) {
	h.mu.Lock()
	old := h.detachWorld(c.Vars["name"])
	h.mu.Unlock()
	if old == nil {
		return nil, tserr.New(404, tserr.CodeSimWorldNotFound, "world %s was not found (GET /_sim/worlds lists them)", c.Vars["name"])
	}
	old.end("DELETE /_sim/worlds/" + c.Vars["name"])
	return map[string]string{"name": c.Vars["name"], "status": "removed"}, nil
}

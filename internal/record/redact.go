package record

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// LabelPrefix starts every label that stands for a secret in a recording:
// redacted-access-token-1, redacted-client-secret-2… One secret has one
// label throughout a recording, so a replay can tell which token a request
// bore, and use the label itself as the secret in a world of its own.
const LabelPrefix = "redacted-"

// The kinds of secret, as their labels name them.
const (
	kindClientSecret     = "client-secret"
	kindPassword         = "password"
	kindAccessToken      = "access-token"
	kindSessionToken     = "session-token"
	kindCallbackUsername = "callback-username"
	kindCallbackPassword = "callback-password"
	kindURLSecret        = "url-secret"
	// kindCredentials is an app key and secret as Basic credentials
	// encode them.
	kindCredentials = "basic-credentials"
	// kindSecret is any other field named like a secret (a device's
	// network credential): replaced where it stands, and nowhere else,
	// since its value may be a device's MDN that stands elsewhere as an
	// identifier.
	kindSecret = "secret"
)

// Bounds of the redactor.
const (
	// maxSecrets bounds the secrets a recorder remembers: past it, the
	// oldest is forgotten. Secrets are replaced where they stand (headers,
	// the fields that carry them) whether remembered or not; a remembered
	// one is also replaced wherever else it appears (an error message
	// that quotes a token), and keeps its label when seen again.
	maxSecrets = 1000
	// minSubstring is the length from which a secret is replaced inside
	// longer text too; a shorter one only where it is a whole JSON string,
	// so that a password such as "demo" does not eat "demo-key".
	minSubstring = 8
)

// redactor replaces secrets with labels. It is used by the recorder's one
// writing goroutine only.
type redactor struct {
	labels map[string]string
	// order is the secrets remembered, oldest first, for the bound.
	order []string
	// scrubbed are the secrets replaced wherever they appear; replacer
	// does so, rebuilt when they changed.
	scrubbed map[string]bool
	counts   map[string]int
	replacer *strings.Replacer
}

func newRedactor() *redactor {
	return &redactor{labels: map[string]string{}, scrubbed: map[string]bool{}, counts: map[string]int{}}
}

// label returns the label of secret, giving it one of kind if it has none;
// scrub says whether it is to be replaced wherever it appears. An empty
// secret hides nothing and stays empty.
func (r *redactor) label(kind, secret string, scrub bool) string {
	if secret == "" || strings.HasPrefix(secret, LabelPrefix) {
		return secret
	}
	l, ok := r.labels[secret]
	if !ok {
		r.counts[kind]++
		l = LabelPrefix + kind + "-" + strconv.Itoa(r.counts[kind])
		r.labels[secret] = l
		r.order = append(r.order, secret)
		if len(r.order) > maxSecrets {
			old := r.order[0]
			r.order = slices.Delete(r.order, 0, 1)
			delete(r.labels, old)
			if r.scrubbed[old] {
				delete(r.scrubbed, old)
				r.replacer = nil
			}
		}
	}
	if scrub && !r.scrubbed[secret] {
		r.scrubbed[secret] = true
		r.replacer = nil
	}
	return l
}

// scrub replaces every secret to be replaced wherever it appears in a
// written line (JSON).
func (r *redactor) scrub(line []byte) []byte {
	if len(r.scrubbed) == 0 {
		return line
	}
	if r.replacer == nil {
		secrets := make([]string, 0, len(r.scrubbed))
		for s := range r.scrubbed {
			secrets = append(secrets, s)
		}
		// Longest first: a secret inside another is not replaced in it.
		slices.SortFunc(secrets, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
		var pairs []string
		for _, s := range secrets {
			enc := jsonString(s)
			l := r.labels[s]
			if len(s) >= minSubstring {
				pairs = append(pairs, enc[1:len(enc)-1], l)
			} else {
				pairs = append(pairs, enc, `"`+l+`"`)
			}
		}
		r.replacer = strings.NewReplacer(pairs...)
	}
	return []byte(r.replacer.Replace(string(line)))
}

// jsonString is s as a JSON string, quotes included, as a line has it.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// RecordedHeaders are the request headers a recording keeps: those that
// change what ThingSpace or tssim does. Authorization and VZ-M2M-Token
// keep their form, their secrets replaced.
var RecordedHeaders = []string{"Content-Type", "Accept", "Authorization", "Vz-M2m-Token", "X-Tssim-Scenario"}

// recordedAnswerHeaders are the answer headers a recording keeps.
var recordedAnswerHeaders = []string{"Content-Type", "Retry-After"}

// headers returns the recorded headers of h, secrets replaced.
func (r *redactor) headers(h map[string][]string, names []string) map[string]string {
	var out map[string]string
	for _, name := range names {
		vs := h[name]
		if len(vs) == 0 {
			continue
		}
		v := vs[0]
		switch name {
		case "Authorization":
			v = r.authorization(v)
		case "Vz-M2m-Token":
			v = r.label(kindSessionToken, v, true)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = v
	}
	return out
}

// authorization keeps the scheme of an Authorization header and replaces
// its secret: Basic credentials become "Basic appKey:label" (the app key
// is no secret; a replay encodes them again), a bearer token its label.
func (r *redactor) authorization(v string) string {
	scheme, cred, _ := strings.Cut(v, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(cred)
		key, secret, ok := strings.Cut(string(raw), ":")
		if err != nil || !ok {
			return scheme + " " + r.label(kindClientSecret, cred, true)
		}
		r.label(kindCredentials, cred, true) // the encoded form, should an answer quote it
		return scheme + " " + key + ":" + r.label(kindClientSecret, secret, true)
	case strings.EqualFold(scheme, "Bearer"):
		return scheme + " " + r.label(kindAccessToken, cred, true)
	}
	return scheme + " " + r.label(kindSecret, cred, true)
}

// form replaces the secrets of a URL-encoded form or query: the OAuth
// client secret, a token to revoke, passwords.
func (r *redactor) form(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	v, err := url.ParseQuery(s)
	if err != nil {
		return "", false
	}
	for k, vals := range v {
		kind := secretKind(k)
		if kind == "" {
			continue
		}
		for i := range vals {
			vals[i] = r.label(kind, vals[i], true)
		}
	}
	return v.Encode(), true
}

// secretKind is the kind of secret a field of that name holds, "" for
// none. Callback credentials are told by where they stand (credentials).
func secretKind(key string) string {
	k := strings.ToLower(key)
	switch {
	case k == "access_token" || k == "refresh_token" || k == "token":
		return kindAccessToken
	case k == "sessiontoken":
		return kindSessionToken
	case strings.Contains(k, "secret"):
		return kindClientSecret
	case strings.Contains(k, "password"):
		return kindPassword
	}
	return ""
}

// bodyRules say where a JSON body holds which secrets.
type bodyRules struct {
	// credentials: the top-level object, or each object of a top-level
	// array, holds a callback listener's url, username and password (a
	// registration, the list of listeners, a callback).
	credentials bool
}

// json replaces the secrets of a JSON body and returns it compact; ok is
// false when it is no JSON.
func (r *redactor) json(body []byte, rules bodyRules) (json.RawMessage, bool) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc any
	if d.Decode(&doc) != nil || d.More() {
		return nil, false
	}
	// A top-level username and password are a user's logging in (a
	// listener's credentials are told apart by the rules).
	login := false
	if m, ok := doc.(map[string]any); ok {
		_, user := m["username"].(string)
		_, pass := m["password"].(string)
		login = user && pass
	}
	doc = r.walk(doc, rules, login, 0)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(doc) != nil {
		return nil, false
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), true
}

// walk replaces secrets in v, at depth (the top-level value is 0); login
// says that the top-level password is a user's.
func (r *redactor) walk(v any, rules bodyRules, login bool, depth int) any {
	switch v := v.(type) {
	case map[string]any:
		// A listener's credentials stand in the top-level object, or in
		// the objects of a top-level array.
		creds := rules.credentials && depth <= 1
		// In the order of the keys, so that labels are numbered alike in
		// every run.
		for _, k := range slices.Sorted(maps.Keys(v)) {
			x := v[k]
			s, isString := x.(string)
			lk := strings.ToLower(k)
			switch {
			case !isString:
				v[k] = r.walk(x, rules, login, depth+1)
			case creds && lk == "url":
				v[k] = r.url(s)
			case creds && lk == "username":
				v[k] = r.label(kindCallbackUsername, s, true)
			case creds && lk == "password":
				v[k] = r.label(kindCallbackPassword, s, true)
			case login && depth == 0 && lk == "password":
				v[k] = r.label(kindPassword, s, true)
			case secretKind(k) == kindPassword:
				v[k] = r.label(kindSecret, s, false)
			case secretKind(k) != "":
				v[k] = r.label(secretKind(k), s, true)
			}
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = r.walk(x, rules, login, depth+1)
		}
		return v
	}
	return v
}

// url replaces the credentials of a URL: its user information and the
// values of its query.
func (r *redactor) url(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return r.label(kindURLSecret, s, true)
	}
	if u.User != nil {
		user := r.label(kindCallbackUsername, u.User.Username(), true)
		if p, ok := u.User.Password(); ok {
			u.User = url.UserPassword(user, r.label(kindCallbackPassword, p, true))
		} else {
			u.User = url.User(user)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for _, vals := range q {
			for i := range vals {
				vals[i] = r.label(kindURLSecret, vals[i], len(vals[i]) >= minSubstring)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

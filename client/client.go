package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client calls ThingSpace's M2M API. It fetches the OAuth token and logs in
// by itself, renews the token before it expires, and logs in again (once,
// retrying the call) when ThingSpace says the session expired or is no
// longer known. It is safe for concurrent use.
type Client struct {
	base      string
	hc        *http.Client
	appKey    string
	appSecret string
	username  string
	password  string
	listener  *Listener
	now       func() time.Time
	retries   int
	sleep     func(context.Context, time.Duration) error
	onRetry   func(Retry)

	mu       sync.Mutex
	token    string
	tokenExp time.Time
	session  string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client used for every call.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithCredentials sets the app key and secret of the OAuth client.
func WithCredentials(appKey, appSecret string) Option {
	return func(c *Client) { c.appKey, c.appSecret = appKey, appSecret }
}

// WithUser sets the ThingSpace user the session logs in as.
func WithUser(username, password string) Option {
	return func(c *Client) { c.username, c.password = username, password }
}

// WithListener makes every asynchronous request (profile actions, line
// changes, Global IoT actions, the v2 device list) tell l which devices it
// waits for and their callback service, so that l.Await(ctx, requestID)
// knows when the request is complete.
func WithListener(l *Listener) Option { return func(c *Client) { c.listener = l } }

// WithClock replaces time.Now when deciding whether the token is due for
// renewal.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithRetries sets how many times a call answered 429 or 503 is sent
// again (default 3): after what Retry-After asks, at most a minute, or
// after 1, 2, 4... seconds when it asks nothing. 0 never retries.
func WithRetries(n int) Option { return func(c *Client) { c.retries = n } }

// WithSleep replaces the wait between retries (tests make it instant).
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// Retry is a call answered 429 or 503 that the client sends again after
// Wait.
type Retry struct {
	Method, Path string
	Status       int
	Wait         time.Duration
}

// WithOnRetry has f told of every retry before its wait, for a log line.
func WithOnRetry(f func(Retry)) Option { return func(c *Client) { c.onRetry = f } }

// New returns a client of the API at baseURL (such as
// "https://thingspace.verizon.com" or "http://127.0.0.1:8080").
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q must be an absolute http or https URL", baseURL)
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), hc: http.DefaultClient, now: time.Now, retries: 3, sleep: sleepCtx}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// tokenMargin is how long before its expiry a token is renewed.
const tokenMargin = time.Minute

// Token returns a valid OAuth access token, fetching one when none is
// cached or the cached one is about to expire.
func (c *Client) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok, exp := c.token, c.tokenExp
	c.mu.Unlock()
	if tok != "" && c.now().Add(tokenMargin).Before(exp) {
		return tok, nil
	}
	t, err := c.FetchToken(ctx)
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

// FetchToken asks for an access token with the client-credentials grant and
// caches it.
func (c *Client) FetchToken(ctx context.Context) (Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/ts/v1/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, err
	}
	req.SetBasicAuth(c.appKey, c.appSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var t Token
	if err := c.do(req, &t); err != nil {
		return Token{}, err
	}
	if t.AccessToken == "" {
		return Token{}, errors.New("client: the token endpoint answered no access_token")
	}
	life := time.Duration(t.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	c.mu.Lock()
	c.token, c.tokenExp = t.AccessToken, c.now().Add(life)
	c.mu.Unlock()
	return t, nil
}

// RevokeToken revokes the cached access token.
func (c *Client) RevokeToken(ctx context.Context) error {
	c.mu.Lock()
	tok := c.token
	c.token = ""
	c.mu.Unlock()
	if tok == "" {
		return nil
	}
	form := url.Values{"token": {tok}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/ts/v1/oauth2/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.appKey, c.appSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req, nil)
}

// Login opens a session and caches its token.
func (c *Client) Login(ctx context.Context) (string, error) {
	var out struct {
		SessionToken string `json:"sessionToken"`
	}
	body := map[string]string{"username": c.username, "password": c.password}
	if err := c.call(ctx, http.MethodPost, "/api/m2m/v1/session/login", body, &out, false); err != nil {
		return "", err
	}
	c.mu.Lock()
	c.session = out.SessionToken
	c.mu.Unlock()
	return out.SessionToken, nil
}

// Logout ends the cached session.
func (c *Client) Logout(ctx context.Context) error {
	err := c.call(ctx, http.MethodPost, "/api/m2m/v1/session/logout", nil, nil, true)
	c.mu.Lock()
	c.session = ""
	c.mu.Unlock()
	return err
}

// SessionToken returns the cached session token, "" before a login.
func (c *Client) SessionToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

// RegisterCallback registers (or replaces) the listener of one service of
// an account. reg.Name is the service name.
func (c *Client) RegisterCallback(ctx context.Context, account string, reg CallbackRegistration) error {
	body := map[string]string{"name": reg.Name, "url": reg.URL}
	if reg.Username != "" || reg.Password != "" {
		body["username"], body["password"] = reg.Username, reg.Password
	}
	return c.call(ctx, http.MethodPost, "/api/m2m/v1/callbacks/"+url.PathEscape(account), body, nil, true)
}

// Callbacks lists an account's registered listeners.
func (c *Client) Callbacks(ctx context.Context, account string) ([]CallbackRegistration, error) {
	var out []CallbackRegistration
	err := c.call(ctx, http.MethodGet, "/api/m2m/v1/callbacks/"+url.PathEscape(account), nil, &out, true)
	return out, err
}

// DeregisterCallback removes the listener of one service of an account.
func (c *Client) DeregisterCallback(ctx context.Context, account, service string) error {
	return c.call(ctx, http.MethodDelete, "/api/m2m/v1/callbacks/"+url.PathEscape(account)+"/name/"+url.PathEscape(service), nil, nil, true)
}

// DeleteProfile removes a local profile from each device; it returns the
// requestId the callbacks will carry.
func (c *Client) DeleteProfile(ctx context.Context, r ProfileRequest) (string, error) {
	return c.ProfileAction(ctx, ActionDelete, r)
}

// EnableProfile enables a local profile already on each device.
func (c *Client) EnableProfile(ctx context.Context, r ProfileRequest) (string, error) {
	return c.ProfileAction(ctx, ActionEnable, r)
}

// DisableProfile disables a local profile; the bootstrap profile takes over.
func (c *Client) DisableProfile(ctx context.Context, r ProfileRequest) (string, error) {
	return c.ProfileAction(ctx, ActionDisable, r)
}

// ProfileAction runs one of the five profile actions and returns its
// requestId.
func (c *Client) ProfileAction(ctx context.Context, action string, r ProfileRequest) (string, error) {
	return c.ProfileActionWith(ctx, action, r, nil)
}

// ProfileActionWith is ProfileAction with extra request headers (such as
// tssim's X-Tssim-Scenario).
func (c *Client) ProfileActionWith(ctx context.Context, action string, r ProfileRequest, header http.Header) (string, error) {
	body, devices := r.wire()
	return c.startAction(ctx, profileActionsPath+action, body, header, ServiceDeviceProfile, devices)
}

// profileActionsPath is the path of the profile actions, local and Global
// IoT, but their name.
const profileActionsPath = "/api/m2m/v1/devices/profile/actions/"

// startAction posts the body of an asynchronous operation and returns the
// requestId it answered. With a listener, it tells the listener which
// devices the request names (none for one about the request itself) and
// the service their callbacks go to.
func (c *Client) startAction(ctx context.Context, path string, body any, header http.Header, service string, devices []Identifiers) (string, error) {
	var out struct {
		RequestID string `json:"requestId"`
	}
	if err := c.callWith(ctx, http.MethodPost, path, body, &out, true, header); err != nil {
		return "", err
	}
	if out.RequestID == "" {
		return "", fmt.Errorf("client: POST %s: the answer has no requestId", path)
	}
	if c.listener != nil {
		c.listener.ExpectDevices(out.RequestID, service, devices...)
	}
	return out.RequestID, nil
}

func (c *Client) call(ctx context.Context, method, path string, in, out any, withSession bool) error {
	return c.callWith(ctx, method, path, in, out, withSession, nil)
}

// callWith makes an M2M call with the bearer token and, when withSession,
// the session token. It recovers once from an invalid access token and once
// from an expired session.
func (c *Client) callWith(ctx context.Context, method, path string, in, out any, withSession bool, header http.Header) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	renewedToken, renewedSession := false, false
	for {
		tok, err := c.Token(ctx)
		if err != nil {
			return err
		}
		sess := ""
		if withSession {
			if sess = c.SessionToken(); sess == "" {
				if sess, err = c.Login(ctx); err != nil {
					return err
				}
			}
		}
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if withSession {
			req.Header.Set("VZ-M2M-Token", sess)
		}
		err = c.do(req, out)
		var e *Error
		switch {
		case !errors.As(err, &e):
			return err
		case e.Fault == FaultInvalidToken && !renewedToken:
			renewedToken = true
			c.mu.Lock()
			c.token = ""
			c.mu.Unlock()
		case withSession && (e.Code == CodeSessionExpired || e.Code == CodeSessionInvalid) && !renewedSession:
			renewedSession = true
			c.mu.Lock()
			c.session = ""
			c.mu.Unlock()
		default:
			return err
		}
	}
}

// maxRetryAfter caps the wait a Retry-After asks for.
const maxRetryAfter = time.Minute

// do sends req and decodes a 2xx answer into out, or the error envelope
// into an *Error. A 429 or 503 is sent again, up to c.retries times, once
// Retry-After has passed: ThingSpace's gateway served nothing.
func (c *Client) do(req *http.Request, out any) error {
	for attempt := 0; ; attempt++ {
		err := c.doOnce(req, out)
		var e *Error
		if !errors.As(err, &e) || (e.StatusCode != http.StatusTooManyRequests && e.StatusCode != http.StatusServiceUnavailable) || attempt >= c.retries {
			return err
		}
		wait := min(e.RetryAfter, maxRetryAfter)
		if wait <= 0 {
			wait = time.Second << attempt
		}
		if c.onRetry != nil {
			c.onRetry(Retry{Method: req.Method, Path: req.URL.Path, Status: e.StatusCode, Wait: wait})
		}
		if err := c.sleep(req.Context(), wait); err != nil {
			return fmt.Errorf("client: %s %s: waiting to retry after %d: %w", req.Method, req.URL.Path, e.StatusCode, err)
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) doOnce(req *http.Request, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("client: %s %s: reading the answer: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := decodeError(resp.StatusCode, data)
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
		return e
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("client: %s %s: the answer is not the expected JSON: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// decodeError reads any of ThingSpace's three error envelopes.
func decodeError(status int, data []byte) *Error {
	var env struct {
		ErrorCode    string `json:"errorCode"`
		ErrorMessage string `json:"errorMessage"`
		Fault        *struct {
			Code        string `json:"code"`
			Message     string `json:"message"`
			Description string `json:"description"`
		} `json:"fault"`
		OAuthError string `json:"error"`
		OAuthDesc  string `json:"error_description"`
	}
	e := &Error{StatusCode: status}
	if json.Unmarshal(data, &env) != nil {
		e.Message = strings.TrimSpace(string(data))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "…"
		}
		return e
	}
	switch {
	case env.Fault != nil:
		e.Code, e.Fault, e.Message = env.Fault.Code, env.Fault.Code, env.Fault.Message
		if env.Fault.Description != "" {
			e.Message += ": " + env.Fault.Description
		}
	case env.OAuthError != "":
		e.Code, e.Message = env.OAuthError, env.OAuthDesc
	default:
		e.Code, e.Message = env.ErrorCode, env.ErrorMessage
	}
	return e
}

package simulator

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// apiRoutes are ThingSpace's own paths, served as in production. The
// profile actions come first: gorilla/mux tries routes in order, and they
// are most of the traffic.
func apiRoutes() []route {
	return []route{
		{http.MethodPost, "/api/m2m/v1/devices/profile/actions/{action:" + strings.Join(domain.Actions, "|") + "}", accessSession, "profile-action.json", withBody("profile-action.json", (*world).profileAction), routeAction},
		{http.MethodPost, "/api/ts/v1/oauth2/token", accessOpen, "", (*world).token, "token"},
		{http.MethodPost, "/api/ts/v1/oauth2/revoke", accessOpen, "", (*world).revoke, "token"},
		{http.MethodPost, "/api/m2m/v1/session/login", accessBearer, "login.json", withBody("login.json", (*world).login), "login"},
		{http.MethodPost, "/api/m2m/v1/session/logout", accessSession, "", (*world).logout, "logout"},
		{http.MethodPost, "/api/m2m/v1/callbacks/{accountName}", accessSession, "callback-registration.json", withBody("callback-registration.json", (*world).registerCallback), "callbacks"},
		{http.MethodGet, "/api/m2m/v1/callbacks/{accountName}", accessSession, "", (*world).listCallbacks, "callbacks"},
		{http.MethodDelete, "/api/m2m/v1/callbacks/{accountName}/name/{serviceName}", accessSession, "", (*world).deregisterCallback, "callbacks"},
	}
}

// oauthForm reads the form of the token endpoints, body and query together,
// and the client's Basic credentials.
func oauthForm(c *call) (form url.Values, key, secret string, err error) {
	form, perr := url.ParseQuery(string(c.body))
	if perr != nil {
		return nil, "", "", &tserr.Error{Status: 400, Kind: tserr.KindOAuth, Code: "invalid_request", Message: "the body is not a valid form: " + perr.Error()}
	}
	for k, v := range c.r.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	key, secret, ok := c.r.BasicAuth()
	if !ok || key == "" {
		return nil, "", "", &tserr.Error{Status: 401, Kind: tserr.KindOAuth, Code: "invalid_client", Message: "Client authentication failed: send 'Authorization: Basic base64(appKey:appSecret)'"}
	}
	return form, key, secret, nil
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

func (s *world) token(c *call) (any, error) {
	form, key, secret, err := oauthForm(c)
	if err != nil {
		return nil, err
	}
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		return nil, &tserr.Error{Status: 400, Kind: tserr.KindOAuth, Code: "invalid_request", Message: "Missing grant_type parameter value"}
	default:
		return nil, &tserr.Error{Status: 400, Kind: tserr.KindOAuth, Code: "unsupported_grant_type", Message: "Unsupported grant_type " + gt + ": only client_credentials is served"}
	}
	tok, exp, err := s.sim.IssueToken(key, secret)
	if err != nil {
		return nil, err
	}
	return tokenResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: exp, Scope: form.Get("scope")}, nil
}

func (s *world) revoke(c *call) (any, error) {
	form, key, secret, err := oauthForm(c)
	if err != nil {
		return nil, err
	}
	if form.Get("token") == "" {
		return nil, &tserr.Error{Status: 400, Kind: tserr.KindOAuth, Code: "invalid_request", Message: "Missing token parameter value"}
	}
	return empty{}, s.sim.RevokeToken(key, secret, form.Get("token"))
}

type sessionResponse struct {
	SessionToken string `json:"sessionToken"`
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *world) login(_ *call, in *loginRequest) (any, error) {
	tok, err := s.sim.Login(in.Username, in.Password)
	if err != nil {
		return nil, err
	}
	return sessionResponse{tok}, nil
}

func (s *world) logout(c *call) (any, error) {
	tok := c.r.Header.Get("VZ-M2M-Token")
	s.sim.Logout(tok)
	return sessionResponse{tok}, nil
}

type callbackRef struct {
	AccountName string `json:"accountName"`
	ServiceName string `json:"serviceName"`
}

type registrationRequest struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *world) registerCallback(c *call, in *registrationRequest) (any, error) {
	r := domain.Registration{AccountName: c.vars["accountName"], ServiceName: in.Name, URL: in.URL, Username: in.Username, Password: in.Password}
	if err := s.sim.Register(c.principal, r); err != nil {
		return nil, err
	}
	return callbackRef{r.AccountName, r.ServiceName}, nil
}

func (s *world) listCallbacks(c *call) (any, error) {
	return s.sim.Registrations(c.principal, c.vars["accountName"])
}

func (s *world) deregisterCallback(c *call) (any, error) {
	ref := callbackRef{c.vars["accountName"], c.vars["serviceName"]}
	return ref, s.sim.Deregister(c.principal, ref.AccountName, ref.ServiceName)
}

type requestIDResponse struct {
	RequestID string `json:"requestId"`
}

// profileAction starts an action on every device of the request; the
// callbacks due at once go out once the answer is written (serve).
func (s *world) profileAction(c *call, req *wire.ActionRequest) (any, error) {
	c.record.Scenario = c.r.Header.Get(domain.ScenarioHeader)
	for i, d := range req.Devices {
		if i == maxJournalEIDs {
			c.record.EIDsOmitted = len(req.Devices) - i
			break
		}
		for _, id := range d.DeviceIDs {
			if id.Kind == "eid" {
				c.record.EIDs = append(c.record.EIDs, id.ID)
			}
		}
	}
	s.lock.RLock()
	defer s.lock.RUnlock()
	id, due, err := s.sim.StartAction(c.principal, c.vars["action"], req, c.record.Scenario)
	if err != nil {
		return nil, err
	}
	c.callbacks = s.dispatcher.Hold(due)
	c.record.RequestID = id
	return requestIDResponse{id}, nil
}

package simulator

import (
	"net/http"
	"net/url"
	"strings"
)

// apiRoutes are ThingSpace's own paths, served as in production. The
// profile actions come first: gorilla/mux tries routes in order, and they
// are most of the traffic.
func (s *Server) apiRoutes() []route {
	return []route{
		{http.MethodPost, "/api/m2m/v1/devices/profile/actions/{action:" + strings.Join(Actions, "|") + "}", accessSession, "profile-action.json", s.profileAction},
		{http.MethodPost, "/api/ts/v1/oauth2/token", accessOpen, "", s.token},
		{http.MethodPost, "/api/ts/v1/oauth2/revoke", accessOpen, "", s.revoke},
		{http.MethodPost, "/api/m2m/v1/session/login", accessBearer, "login.json", s.login},
		{http.MethodPost, "/api/m2m/v1/session/logout", accessSession, "", s.logout},
		{http.MethodPost, "/api/m2m/v1/callbacks/{accountName}", accessSession, "callback-registration.json", s.registerCallback},
		{http.MethodGet, "/api/m2m/v1/callbacks/{accountName}", accessSession, "", s.listCallbacks},
		{http.MethodDelete, "/api/m2m/v1/callbacks/{accountName}/name/{serviceName}", accessSession, "", s.deregisterCallback},
	}
}

// oauthForm reads the form of the token endpoints, body and query together,
// and the client's Basic credentials.
func oauthForm(c *call) (form url.Values, key, secret string, err error) {
	form, perr := url.ParseQuery(string(c.body))
	if perr != nil {
		return nil, "", "", &Error{Status: 400, Kind: KindOAuth, Code: "invalid_request", Message: "the body is not a valid form: " + perr.Error()}
	}
	for k, v := range c.r.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	key, secret, ok := c.r.BasicAuth()
	if !ok || key == "" {
		return nil, "", "", &Error{Status: 401, Kind: KindOAuth, Code: "invalid_client", Message: "Client authentication failed: send 'Authorization: Basic base64(appKey:appSecret)'"}
	}
	return form, key, secret, nil
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

func (s *Server) token(c *call) (any, error) {
	form, key, secret, err := oauthForm(c)
	if err != nil {
		return nil, err
	}
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		return nil, &Error{Status: 400, Kind: KindOAuth, Code: "invalid_request", Message: "Missing grant_type parameter value"}
	default:
		return nil, &Error{Status: 400, Kind: KindOAuth, Code: "unsupported_grant_type", Message: "Unsupported grant_type " + gt + ": only client_credentials is served"}
	}
	tok, exp, err := s.sim.IssueToken(key, secret)
	if err != nil {
		return nil, err
	}
	return tokenResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: exp, Scope: form.Get("scope")}, nil
}

func (s *Server) revoke(c *call) (any, error) {
	form, key, secret, err := oauthForm(c)
	if err != nil {
		return nil, err
	}
	if form.Get("token") == "" {
		return nil, &Error{Status: 400, Kind: KindOAuth, Code: "invalid_request", Message: "Missing token parameter value"}
	}
	return empty{}, s.sim.RevokeToken(key, secret, form.Get("token"))
}

type sessionResponse struct {
	SessionToken string `json:"sessionToken"`
}

func (s *Server) login(c *call) (any, error) {
	var in struct{ Username, Password string }
	if err := c.bind(&in); err != nil {
		return nil, err
	}
	tok, err := s.sim.Login(in.Username, in.Password)
	if err != nil {
		return nil, err
	}
	return sessionResponse{tok}, nil
}

func (s *Server) logout(c *call) (any, error) {
	tok := c.r.Header.Get("VZ-M2M-Token")
	s.sim.Logout(tok)
	return sessionResponse{tok}, nil
}

type callbackRef struct {
	AccountName string `json:"accountName"`
	ServiceName string `json:"serviceName"`
}

func (s *Server) registerCallback(c *call) (any, error) {
	var in struct{ Name, URL, Username, Password string }
	if err := c.bind(&in); err != nil {
		return nil, err
	}
	l := Listener{AccountName: c.vars["accountName"], ServiceName: in.Name, URL: in.URL, Username: in.Username, Password: in.Password}
	if err := s.sim.RegisterListener(c.principal, l); err != nil {
		return nil, err
	}
	return callbackRef{l.AccountName, l.ServiceName}, nil
}

func (s *Server) listCallbacks(c *call) (any, error) {
	return s.sim.Listeners(c.principal, c.vars["accountName"])
}

func (s *Server) deregisterCallback(c *call) (any, error) {
	ref := callbackRef{c.vars["accountName"], c.vars["serviceName"]}
	return ref, s.sim.DeregisterListener(c.principal, ref.AccountName, ref.ServiceName)
}

type requestIDResponse struct {
	RequestID string `json:"requestId"`
}

func (r requestIDResponse) appendJSON(b []byte) []byte {
	return append(appendField(b, `{"requestId":`, r.RequestID), '}')
}

func (s *Server) profileAction(c *call) (any, error) {
	req, ok := c.decoded.(*ActionRequest)
	if !ok {
		req = &ActionRequest{}
		if err := c.bind(req); err != nil {
			return nil, err
		}
	}
	c.record.Scenario = c.r.Header.Get(ScenarioHeader)
	b := &Batch{}
	c.after = func() { s.dispatcher.Release(b) }
	id, err := s.sim.StartAction(c.principal, c.vars["action"], req, c.record.Scenario, func(cb Callback) { s.dispatcher.Hold(b, cb) })
	if err != nil {
		return nil, err
	}
	c.record.RequestID = id
	return requestIDResponse{id}, nil
}

package thingspace

import (
	"net/http"
	"net/url"

	"github.com/tssim/tssim/internal/tserr"
)

// OAuth 2.0 client credentials, as ThingSpace's API gateway serves them:
// https://thingspace.verizon.com/documentation/apis/connectivity-management/getting-started/authentication.html
func init() {
	Register(
		&Operation{Name: "token", Method: http.MethodPost, Path: "/api/ts/v1/oauth2/token", Access: Open,
			Summary: "an OAuth access token for the app key and secret (client_credentials)", Handle: token},
		&Operation{Name: "revoke", Fault: "token", Method: http.MethodPost, Path: "/api/ts/v1/oauth2/revoke", Access: Open,
			Summary: "revoke an access token", Handle: revoke},
	)
}

// oauthForm reads the form of the token endpoints, body and query together,
// and the client's Basic credentials.
func oauthForm(c *Call) (form url.Values, key, secret string, err error) {
	form, perr := url.ParseQuery(string(c.Body))
	if perr != nil {
		return nil, "", "", &tserr.Error{Status: 400, Kind: tserr.KindOAuth, Code: "invalid_request", Message: "the body is not a valid form: " + perr.Error()}
	}
	for k, v := range c.R.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	key, secret, ok := c.R.BasicAuth()
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

func token(c *Call) (any, error) {
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
	tok, exp, err := c.Sim.IssueToken(key, secret)
	if err != nil {
		return nil, err
	}
	return tokenResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: exp, Scope: form.Get("scope")}, nil
}

func revoke(c *Call) (any, error) {
	form, key, secret, err := oauthForm(c)
	if err != nil {
		return nil, err
	}
	if form.Get("token") == "" {
		return nil, &tserr.Error{Status: 400, Kind: tserr.KindOAuth, Code: "invalid_request", Message: "Missing token parameter value"}
	}
	return Empty{}, c.Sim.RevokeToken(key, secret, form.Get("token"))
}

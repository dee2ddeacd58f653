package thingspace

import "net/http"

// The M2M session: a user's login, whose token every M2M call carries as
// VZ-M2M-Token beside the OAuth token.
func init() {
	Register(
		&Operation{Name: "login", Method: http.MethodPost, Path: "/api/m2m/v1/session/login", Schema: "login.json", Access: Bearer,
			Summary: "a session token for a user", Handle: WithBody(login)},
		&Operation{Name: "logout", Method: http.MethodPost, Path: "/api/m2m/v1/session/logout", Access: Session,
			Summary: "end the session", Handle: logout},
	)
}

type sessionResponse struct {
	SessionToken string `json:"sessionToken"`
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func login(c *Call, in *loginRequest) (any, error) {
	tok, err := c.Sim.Login(in.Username, in.Password)
	if err != nil {
		return nil, err
	}
	return sessionResponse{tok}, nil
}

func logout(c *Call) (any, error) {
	tok := c.R.Header.Get("Vz-M2m-Token")
	c.Sim.Logout(tok)
	return sessionResponse{tok}, nil
}

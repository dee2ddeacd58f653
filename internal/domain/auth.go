package domain

import (
	"slices"
	"time"

	"github.com/tssim/tssim/internal/tserr"
)

// Token and session lifetimes of ThingSpace, and its lockout.
const (
	TokenLifetime      = time.Hour
	SessionIdleTimeout = 20 * time.Minute
	MaxFailedLogins    = 5
)

// Principal is who a session acts for; a nil accounts set means every
// account (relaxed auth).
type Principal struct {
	Username string
	accounts map[string]bool
}

func (p *Principal) mayUse(account string) bool {
	return p.accounts == nil || p.accounts[account]
}

type userState struct {
	User
	accounts map[string]bool
	failures int
}

type accessToken struct {
	token   string
	client  string
	expires time.Time
}

type session struct {
	token    string
	user     *Principal
	lastUsed time.Time
}

// IssueToken answers the OAuth client-credentials grant: the same token for
// as long as it is valid, a new one after.
func (s *Sim) IssueToken(appKey, appSecret string) (token string, expiresIn int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.relaxed {
		if secret, ok := s.clients[appKey]; !ok || secret != appSecret {
			return "", 0, &tserr.Error{Status: 401, Kind: tserr.KindOAuth, Code: "invalid_client", Message: "Client authentication failed: unknown app key or wrong secret"}
		}
	}
	now := s.clock.Now()
	if _, known := s.clients[appKey]; !known {
		// Relaxed auth takes any key, and any token after: one of a key
		// the fixtures do not name is not kept, so that made-up keys cost
		// no memory.
		return newAccessToken(), int(TokenLifetime / time.Second), nil
	}
	t := s.byClient[appKey]
	if t == nil || !now.Before(t.expires) {
		if t != nil {
			delete(s.tokens, t.token)
			s.track.Mark(KindToken, t.token)
		}
		t = &accessToken{token: newAccessToken(), client: appKey, expires: now.Add(TokenLifetime)}
		s.tokens[t.token] = t
		s.track.Mark(KindToken, t.token)
		s.sweep()
		s.byClient[appKey] = t
	}
	left := t.expires.Sub(now)
	return t.token, int((left + time.Second - 1) / time.Second), nil
}

// RevokeToken invalidates an access token of that client. An unknown token
// is not an error (RFC 7009).
func (s *Sim) RevokeToken(appKey, appSecret, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.relaxed {
		if secret, ok := s.clients[appKey]; !ok || secret != appSecret {
			return &tserr.Error{Status: 401, Kind: tserr.KindOAuth, Code: "invalid_client", Message: "Client authentication failed: unknown app key or wrong secret"}
		}
	}
	if t := s.tokens[token]; t != nil && (s.relaxed || t.client == appKey) {
		delete(s.tokens, token)
		delete(s.byClient, t.client)
		s.track.Mark(KindToken, token)
	}
	return nil
}

// CheckBearer checks the OAuth access token of an M2M call.
func (s *Sim) CheckBearer(token string) error {
	if token == "" {
		return &tserr.Error{Status: 401, Kind: tserr.KindFault, Code: tserr.FaultMissingCredentials, Message: "Missing Credentials",
			Violations: []tserr.Violation{{Pointer: "Authorization", Message: "Make sure your API invocation call has a header: 'Authorization: Bearer ACCESS_TOKEN'"}}}
	}
	if s.relaxed {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[token]
	if t == nil || !s.clock.Now().Before(t.expires) {
		return &tserr.Error{Status: 401, Kind: tserr.KindFault, Code: tserr.FaultInvalidCredentials, Message: "Invalid Credentials",
			Violations: []tserr.Violation{{Pointer: "Authorization", Message: "Access failure for API: /api/m2m, version: v1. Make sure you have given the correct access token"}}}
	}
	return nil
}

// Login opens a session for a user. Five failed logins in a row lock the
// user until Unlock or a reset; a name that is no user's locks the same
// way, so that the answers tell no one which names exist.
func (s *Sim) Login(username, password string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &Principal{Username: username}
	if !s.relaxed {
		u := s.users[username]
		failures := s.strangers[username]
		if u != nil {
			failures = u.failures
		}
		if failures >= MaxFailedLogins {
			return "", tserr.BadRequest(tserr.CodeUserLocked, "User %s is locked after %d failed logins", username, MaxFailedLogins)
		}
		if u == nil || u.Password != password {
			s.failed(username, u)
			return "", tserr.BadRequest(tserr.CodePasswordInvalid, "Invalid username or password")
		}
		if u.failures > 0 {
			u.failures = 0
			s.track.Mark(KindUser, username)
		}
		p.accounts = u.accounts
	}
	tok := newSecretUUID()
	if s.relaxed {
		return tok, nil // any session token will do: none is kept
	}
	s.sessions[tok] = &session{token: tok, user: p, lastUsed: s.clock.Now()}
	s.track.Mark(KindSession, tok)
	s.keepSession(username, tok)
	s.sweep()
	return tok, nil
}

// keepSession notes a user's new session, and forgets the user's oldest
// past maxSessions, so that a client logging in in a loop holds a bounded
// number of sessions (the one forgotten answers SessionToken.Invalid, as
// any unknown one: log in again). s.mu is held.
func (s *Sim) keepSession(username, tok string) {
	q := append(s.byUser[username], tok)
	if len(q) > s.maxSessions {
		live := q[:0]
		for _, t := range q {
			if s.sessions[t] != nil {
				live = append(live, t)
			}
		}
		for len(live) > s.maxSessions {
			delete(s.sessions, live[0])
			s.track.Mark(KindSession, live[0])
			live = live[1:]
		}
		q = slices.Clone(live)
	}
	s.byUser[username] = q
}

// maxStrangers bounds the names that are no user's whose failed logins are
// counted: past it, the counts start again.
const maxStrangers = 10000

// failed counts a failed login; s.mu is held.
func (s *Sim) failed(username string, u *userState) {
	if u != nil {
		u.failures++
		s.track.Mark(KindUser, username)
		return
	}
	if len(s.strangers) >= maxStrangers {
		clear(s.strangers)
	}
	s.strangers[username]++
}

// Unlock clears a user's failed logins (or those of a name that is no
// user's).
func (s *Sim) Unlock(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[username]; u != nil {
		u.failures = 0
		s.track.Mark(KindUser, username)
	}
	delete(s.strangers, username)
}

// Session checks a VZ-M2M-Token and renews it; it returns who it acts for.
func (s *Sim) Session(token string) (*Principal, error) {
	if token == "" {
		return nil, tserr.BadRequest(tserr.CodeSessionFormat, "VZ-M2M-Token header is missing")
	}
	if s.relaxed {
		return &Principal{}, nil
	}
	if !isUUID(token) {
		return nil, tserr.BadRequest(tserr.CodeSessionInvalid, "The session token is not valid: it must be a GUID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[token]
	if sess == nil {
		return nil, tserr.BadRequest(tserr.CodeSessionInvalid, "The session token is not valid")
	}
	now := s.clock.Now()
	if now.Sub(sess.lastUsed) >= SessionIdleTimeout {
		// An expired session stays known, so that it keeps being reported
		// as expired rather than as unknown.
		return nil, tserr.BadRequest(tserr.CodeSessionExpired, "The Session has expired.")
	}
	sess.lastUsed = now
	s.track.Mark(KindSession, token)
	return sess.user, nil
}

// Logout ends a session.
func (s *Sim) Logout(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss := s.sessions[token]; ss != nil {
		s.byUser[ss.user.Username] = slices.DeleteFunc(s.byUser[ss.user.Username], func(t string) bool { return t == token })
	}
	delete(s.sessions, token)
	s.track.Mark(KindSession, token)
}

// forgetAfter is how long a session stays known after its last use: it is
// reported expired (SessionToken.Expired) until then, unknown after.
const forgetAfter = 2 * SessionIdleTimeout

// sweep forgets the sessions unused for forgetAfter and the access tokens
// past their hour, once their number has doubled since the last sweep: a
// flood of logins costs memory for the sessions that live, not for every
// session ever opened. s.mu is held.
func (s *Sim) sweep() {
	if len(s.sessions)+len(s.tokens) < s.sweepAt {
		return
	}
	now := s.clock.Now()
	for tok, ss := range s.sessions {
		if now.Sub(ss.lastUsed) >= forgetAfter {
			delete(s.sessions, tok)
			s.track.Mark(KindSession, tok)
		}
	}
	for tok, t := range s.tokens {
		if !now.Before(t.expires) {
			delete(s.tokens, tok)
			s.track.Mark(KindToken, tok)
			if s.byClient[t.client] == t {
				delete(s.byClient, t.client)
			}
		}
	}
	s.sweepAt = max(minSweep, 2*(len(s.sessions)+len(s.tokens)))
}

// minSweep is how many sessions and tokens there are at least before a
// sweep.
const minSweep = 1024

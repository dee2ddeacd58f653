package domain

import (
	"sort"
	"sync"

	"github.com/tssim/tssim/internal/tserr"
)

// Registration is a callback URL registered for one service of an
// account, with the credentials ThingSpace echoes in each callback.
type Registration struct {
	AccountName string `json:"accountName"`
	ServiceName string `json:"serviceName"`
	URL         string `json:"url"`
	Username    string `json:"username"`
	Password    string `json:"password"`
}

// Registry holds the callback registrations of every account. The Sim
// changes it; delivery reads it, through Destination, for every attempt.
type Registry struct {
	fallbackURL string

	mu        sync.Mutex
	byAccount map[string]map[string]Registration
}

// NewRegistry returns an empty registry; the callbacks of a service an
// account registered no listener for go to fallbackURL ("": nowhere).
func NewRegistry(fallbackURL string) *Registry {
	return &Registry{fallbackURL: fallbackURL, byAccount: map[string]map[string]Registration{}}
}

// Destination returns where an account's callbacks of one service go: the
// listener it registered for that service, or the fallback URL.
func (r *Registry) Destination(account, service string) (Registration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if reg, ok := r.byAccount[account][service]; ok {
		return reg, true
	}
	if r.fallbackURL != "" {
		return Registration{AccountName: account, ServiceName: service, URL: r.fallbackURL}, true
	}
	return Registration{}, false
}

// get returns one registration.
func (r *Registry) get(account, service string) (Registration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reg, ok := r.byAccount[account][service]
	return reg, ok
}

func (r *Registry) put(reg Registration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byAccount[reg.AccountName] == nil {
		r.byAccount[reg.AccountName] = map[string]Registration{}
	}
	r.byAccount[reg.AccountName][reg.ServiceName] = reg
}

// remove reports false when there was nothing to remove.
func (r *Registry) remove(account, service string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byAccount[account][service]; !ok {
		return false
	}
	delete(r.byAccount[account], service)
	return true
}

// of returns an account's registrations, by service name ("" for every
// account's).
func (r *Registry) of(account string) []Registration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []Registration{}
	for a, regs := range r.byAccount {
		if account == "" || a == account {
			for _, reg := range regs {
				out = append(out, reg)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AccountName != out[j].AccountName {
			return out[i].AccountName < out[j].AccountName
		}
		return out[i].ServiceName < out[j].ServiceName
	})
	return out
}

func (r *Registry) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.byAccount)
}

// accountFor checks that the account exists and that p may act on it.
func (s *Sim) accountFor(p *Principal, account string) error {
	if account == "" {
		return tserr.BadRequest(tserr.CodeAccountNotDefined, "/accountName: an account name is required")
	}
	if _, ok := s.accounts[account]; !ok {
		return tserr.BadRequest(tserr.CodeAccountNotFound, "Account %s was not found", account)
	}
	if !p.mayUse(account) {
		return tserr.BadRequest(tserr.CodeAccountName, "User %s is not associated with account %s", p.Username, account)
	}
	return nil
}

// Register registers (or replaces) the URL of one callback service.
func (s *Sim) Register(p *Principal, reg Registration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.track.Mark(KindListener, listenerKey(reg.AccountName, reg.ServiceName))
	if err := s.accountFor(p, reg.AccountName); err != nil {
		return err
	}
	s.registry.put(reg)
	return nil
}

// Registrations lists an account's registrations, by service name.
func (s *Sim) Registrations(p *Principal, account string) ([]Registration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.accountFor(p, account); err != nil {
		return nil, err
	}
	return s.registry.of(account), nil
}

// Deregister removes one service's registration.
func (s *Sim) Deregister(p *Principal, account, service string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.track.Mark(KindListener, listenerKey(account, service))
	if err := s.accountFor(p, account); err != nil {
		return err
	}
	if !s.registry.remove(account, service) {
		return tserr.BadRequest(tserr.CodeCallbackNotFound, "No callback is registered for service %s of account %s", service, account)
	}
	return nil
}

package domain

import (
	"regexp"
	"testing"
)

// Request ids and session tokens are version 4 UUIDs, each new.
func TestIDsAreVersion4UUIDs(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for name, gen := range map[string]func() string{"request id": func() string { return newRequestID("") }, "session token": newSecretUUID} {
		seen := map[string]bool{}
		for range 1000 {
			id := gen()
			if !v4.MatchString(id) || !isUUID(id) || seen[id] {
				t.Fatalf("%s %q: not a new version 4 UUID", name, id)
			}
			seen[id] = true
		}
	}
}

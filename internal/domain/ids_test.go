package domain

import (
	"regexp"
	"slices"
	"testing"
)

// Request ids and session tokens are version 4 UUIDs, each new.
func TestIDsAreVersion4UUIDs(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for name, gen := range map[string]func() string{"request id": func() string { return idOfKey(newRequestKey(7, "")) }, "session token": newSecretUUID} {
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

// A request's key sorts after those of the requests before it, whatever
// their numbers, and is its number and its requestId: a state file adds
// to the end of a bucket and forgets from its start.
func TestRequestKeysSortByAge(t *testing.T) {
	var keys []string
	for _, seq := range []uint64{0, 1, 9, 10, 15, 16, 255, 256, 1 << 32, 1<<64 - 1} {
		k := newRequestKey(seq, "/3")
		head := k[:len(k)-2]
		if id := idOfKey(head); RequestKey(seq, id) != head || !isUUID(id) {
			t.Fatalf("key %q of request %d: its id is %q, and RequestKey gives %q", k, seq, id, RequestKey(seq, id))
		}
		keys = append(keys, k)
	}
	if !slices.IsSorted(keys) {
		t.Fatalf("keys do not sort by number: %q", keys)
	}
}

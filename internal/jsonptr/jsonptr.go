// Package jsonptr reads RFC 6901 JSON Pointers in documents decoded into
// maps and slices.
package jsonptr

import (
	"strconv"
	"strings"
)

// Lookup returns the value at ptr in doc, or nil when there is none.
func Lookup(doc any, ptr string) any {
	if ptr == "" {
		return doc
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := doc.(type) {
		case map[string]any:
			doc = n[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			doc = n[i]
		default:
			return nil
		}
	}
	return doc
}

// Escape makes a key one token of a pointer.
func Escape(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// Package jsonptr reads RFC 6901 JSON Pointers in documents decoded into
// maps and slices, and rewrites the strings of such documents.
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

// MapStrings replaces every string value of doc (not the keys) by f of it,
// in place, and returns doc.
func MapStrings(doc any, f func(string) string) any {
	switch v := doc.(type) {
	case string:
		return f(v)
	case map[string]any:
		for k, x := range v {
			v[k] = MapStrings(x, f)
		}
	case []any:
		for i, x := range v {
			v[i] = MapStrings(x, f)
		}
	}
	return doc
}

package features

import (
	"slices"
	"strings"
	"testing"
)

// godogMatch is godog's tag filter (v0.16, internal/tags): an or (,) of
// ands (&&) of tags, ~ negating one.
func godogMatch(filter string, tags []string) bool {
	for _, term := range strings.Split(filter, ",") {
		all := true
		for _, lit := range strings.Split(term, "&&") {
			lit = strings.TrimSpace(lit)
			neg := strings.HasPrefix(lit, "~")
			all = all && slices.Contains(tags, strings.TrimPrefix(lit, "~")) != neg
		}
		if all {
			return true
		}
	}
	return false
}

// Each form users type selects the same scenarios through godog as the
// expression means.
func TestTagExpressionsSelectWhatTheyMean(t *testing.T) {
	scs, err := Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	known := knownTags(scs)
	has := func(tags []string, tag string) bool { return slices.Contains(tags, tag) }
	for _, tc := range []struct {
		expr string
		want func(tags []string) bool
	}{
		{"@tokens", func(s []string) bool { return has(s, "@tokens") }},
		{"@tokens || @retries", func(s []string) bool { return has(s, "@tokens") || has(s, "@retries") }},
		{"@tokens,@retries", func(s []string) bool { return has(s, "@tokens") || has(s, "@retries") }},
		{"@tokens or @retries", func(s []string) bool { return has(s, "@tokens") || has(s, "@retries") }},
		{"not @client", func(s []string) bool { return !has(s, "@client") }},
		{"~@client", func(s []string) bool { return !has(s, "@client") }},
		{"!@client", func(s []string) bool { return !has(s, "@client") }},
		{"@client && ~@burst", func(s []string) bool { return has(s, "@client") && !has(s, "@burst") }},
		{"@client and not @burst", func(s []string) bool { return has(s, "@client") && !has(s, "@burst") }},
		{"@client AND NOT @burst", func(s []string) bool { return has(s, "@client") && !has(s, "@burst") }},
		{"@http,@client && @retries", func(s []string) bool { return has(s, "@http") || (has(s, "@client") && has(s, "@retries")) }},
		{"(@http or @client) and @retries", func(s []string) bool { return (has(s, "@http") || has(s, "@client")) && has(s, "@retries") }},
		{"not (@tokens or @retries)", func(s []string) bool { return !has(s, "@tokens") && !has(s, "@retries") }},
		{"not (@client and not @burst)", func(s []string) bool { return !has(s, "@client") || has(s, "@burst") }},
		{"(@tokens or @retries) and (@client or @http) and not @burst", func(s []string) bool {
			return (has(s, "@tokens") || has(s, "@retries")) && (has(s, "@client") || has(s, "@http")) && !has(s, "@burst")
		}},
		{"@http and @client", func(s []string) bool { return false }},
	} {
		e, err := parseTags(tc.expr, known)
		if err != nil {
			t.Errorf("%q: %v", tc.expr, err)
			continue
		}
		filter, err := e.godog()
		if err != nil {
			t.Errorf("%q: %v", tc.expr, err)
			continue
		}
		for _, s := range scs {
			want := tc.want(s.Tags)
			if got := e.match(s.Tags); got != want {
				t.Errorf("%q matches %v: %v, want %v", tc.expr, s.Tags, got, want)
			}
			if got := godogMatch(filter, s.Tags); got != want {
				t.Errorf("%q as godog's %q matches %v: %v, want %v", tc.expr, filter, s.Tags, got, want)
			}
		}
	}
}

func TestBadTagExpressionsAreRefusedWithAReason(t *testing.T) {
	scs, err := Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	for expr, want := range map[string]string{
		"@tokenz":             "@tokenz is no tag of the contract",
		"@client && ~@bursts": "@bursts is no tag of the contract",
		"client":              `"client" is not a tag: tags start with @ (@client)`,
		"":                    "empty",
		"@client &&":          "ends where a tag is expected",
		"@client & @burst":    "a lone & or |",
		"(@client":            "a ( is not closed",
		"@client)":            `unexpected ")"`,
		"@client @burst":      `unexpected "@burst"`,
		"@client or or @http": `"or" is where a tag is expected`,
		"(((((((@a or @b) and (@c or @d)) and (@e or @f)) and (@g or @h)) and (@i or @j)) and (@k or @l)) and (@m or @n))": "too intricate",
	} {
		known := knownTags(scs)
		if want == "too intricate" {
			known = append(known, "@a", "@b", "@c", "@d", "@e", "@f", "@g", "@h", "@i", "@j", "@k", "@l", "@m", "@n")
		}
		e, err := parseTags(expr, known)
		if err == nil {
			_, err = e.godog()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one saying %q", expr, err, want)
		}
	}
}

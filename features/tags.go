package features

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// A tag expression selects scenarios by their tags. Users type them in
// two dialects, and both are taken: Cucumber's (`@a or @b`, `@a and not
// @b`, parentheses) and godog's (`@a,@b` for or, `@a && ~@b`), with `||`
// and `!` as well. Anything else is refused with a sentence: godog alone
// would select nothing for `@a || @b` and run no test, silently.

// tagExpr is a parsed tag expression.
type tagExpr struct {
	op   string // "tag", "not", "and", "or"
	tag  string
	args []*tagExpr
}

// maxDNFTerms bounds the or-of-ands form handed to godog, whose filter
// has no parentheses: an expression that needs more terms is refused.
const maxDNFTerms = 64

// parseTags parses a tag expression whose tags must be among known (every
// tag of the contract: a tag no scenario carries is a typo).
func parseTags(expr string, known []string) (*tagExpr, error) {
	toks, err := tagTokens(expr)
	if err != nil {
		return nil, err
	}
	p := &tagParser{toks: toks, known: known}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q after a complete expression", p.toks[p.pos])
	}
	return e, nil
}

// tagTokens splits an expression into tags, operators and parentheses.
func tagTokens(expr string) ([]string, error) {
	var toks []string
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case strings.HasPrefix(expr[i:], "&&"), strings.HasPrefix(expr[i:], "||"):
			toks = append(toks, expr[i:i+2])
			i += 2
		case strings.ContainsRune("(),~!", rune(c)):
			toks = append(toks, string(c))
			i++
		default:
			j := i
			for j < len(expr) && !strings.ContainsRune(" \t(),~!&|", rune(expr[j])) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q (a lone & or |: write && or ||)", expr[i:i+1])
			}
			toks = append(toks, expr[i:j])
			i = j
		}
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("the expression is empty")
	}
	return toks, nil
}

type tagParser struct {
	toks  []string
	pos   int
	known []string
}

func (p *tagParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *tagParser) or() (*tagExpr, error) {
	return p.binary("or", []string{"or", "||", ","}, p.and)
}

func (p *tagParser) and() (*tagExpr, error) {
	return p.binary("and", []string{"and", "&&"}, p.not)
}

func (p *tagParser) binary(op string, words []string, next func() (*tagExpr, error)) (*tagExpr, error) {
	e, err := next()
	if err != nil {
		return nil, err
	}
	for slices.Contains(words, strings.ToLower(p.peek())) {
		p.pos++
		r, err := next()
		if err != nil {
			return nil, err
		}
		if e.op == op {
			e.args = append(e.args, r)
		} else {
			e = &tagExpr{op: op, args: []*tagExpr{e, r}}
		}
	}
	return e, nil
}

func (p *tagParser) not() (*tagExpr, error) {
	switch strings.ToLower(p.peek()) {
	case "not", "~", "!":
		p.pos++
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return &tagExpr{op: "not", args: []*tagExpr{e}}, nil
	}
	return p.primary()
}

func (p *tagParser) primary() (*tagExpr, error) {
	t := p.peek()
	p.pos++
	switch {
	case t == "":
		return nil, fmt.Errorf("it ends where a tag is expected")
	case t == "(":
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("a ( is not closed")
		}
		p.pos++
		return e, nil
	case strings.HasPrefix(t, "@") && len(t) > 1:
		if !slices.Contains(p.known, t) {
			return nil, fmt.Errorf("%s is no tag of the contract (its tags: %s)", t, strings.Join(p.known, " "))
		}
		return &tagExpr{op: "tag", tag: t}, nil
	case slices.Contains(p.known, "@"+t):
		return nil, fmt.Errorf("%q is not a tag: tags start with @ (@%s)", t, t)
	}
	return nil, fmt.Errorf("%q is where a tag is expected (tags start with @; operators: or || , and && not ~ !, parentheses)", t)
}

// match tells whether a scenario with these tags is selected.
func (e *tagExpr) match(tags []string) bool {
	switch e.op {
	case "tag":
		return slices.Contains(tags, e.tag)
	case "not":
		return !e.args[0].match(tags)
	case "and":
		for _, a := range e.args {
			if !a.match(tags) {
				return false
			}
		}
		return true
	}
	for _, a := range e.args {
		if a.match(tags) {
			return true
		}
	}
	return false
}

// godog writes the expression in godog's filter syntax, an or (,) of ands
// (&&) of tags and negated tags (~@a), which has no parentheses.
func (e *tagExpr) godog() (string, error) {
	terms, err := e.dnf(false)
	if err != nil {
		return "", err
	}
	out := make([]string, len(terms))
	for i, t := range terms {
		out[i] = strings.Join(t, " && ")
	}
	return strings.Join(out, ","), nil
}

// dnf returns the expression (negated when neg) as a list of terms, each
// a list of literals ("@a" or "~@a"); the or of their ands.
func (e *tagExpr) dnf(neg bool) ([][]string, error) {
	op := e.op
	switch {
	case op == "tag" && neg:
		return [][]string{{"~" + e.tag}}, nil
	case op == "tag":
		return [][]string{{e.tag}}, nil
	case op == "not":
		return e.args[0].dnf(!neg)
	case (op == "or") != neg: // or, or a negated and (De Morgan)
		var out [][]string
		for _, a := range e.args {
			t, err := a.dnf(neg)
			if err != nil {
				return nil, err
			}
			out = append(out, t...)
		}
		return capDNF(out)
	}
	out := [][]string{{}}
	for _, a := range e.args { // and, or a negated or: distribute
		t, err := a.dnf(neg)
		if err != nil {
			return nil, err
		}
		var next [][]string
		for _, left := range out {
			for _, right := range t {
				next = append(next, append(slices.Clone(left), right...))
			}
		}
		if out, err = capDNF(next); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func capDNF(terms [][]string) ([][]string, error) {
	if len(terms) > maxDNFTerms {
		return nil, fmt.Errorf("the expression is too intricate (more than %d alternatives once its parentheses are expanded)", maxDNFTerms)
	}
	return terms, nil
}

// knownTags returns every tag the contract's scenarios carry, sorted.
func knownTags(scs []Scenario) []string {
	seen := map[string]bool{}
	for _, s := range scs {
		for _, t := range s.Tags {
			seen[t] = true
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// selectTags parses a --tags expression, less the scenarios carrying a
// tag of exclude, and returns it in godog's syntax with the number of
// scenarios it selects (an outline counts once).
func selectTags(expr string, exclude ...string) (filter string, selected int, err error) {
	scs, err := Scenarios()
	if err != nil {
		return "", 0, err
	}
	for _, tag := range exclude {
		expr = andTags(expr, "not "+tag)
	}
	if strings.TrimSpace(expr) == "" {
		return "", len(scs), nil
	}
	e, err := parseTags(expr, knownTags(scs))
	if err != nil {
		return "", 0, fmt.Errorf("--tags %q: %w", expr, err)
	}
	if filter, err = e.godog(); err != nil {
		return "", 0, fmt.Errorf("--tags %q: %w", expr, err)
	}
	for _, s := range scs {
		if e.match(s.Tags) {
			selected++
		}
	}
	return filter, selected, nil
}

// andTags is the expression selecting what both a and b select; "" selects
// everything.
func andTags(a, b string) string {
	if strings.TrimSpace(a) == "" {
		return b
	}
	return "(" + a + ") and " + b
}

// grade leaves out of a run the scenarios of the optional capabilities
// the client's hello did not declare, and notes them and the names it did
// not know for the summary. It returns the filter for godog: an error
// when nothing is left to run.
func (r *report) grade(expr string, g greeting) (string, error) {
	r.client = g.Name
	declared := map[string]bool{}
	for _, name := range g.Capabilities {
		if tag := "@" + name; slices.Contains(optionalCapabilities, tag) {
			declared[tag] = true
		} else {
			r.unknown = append(r.unknown, name)
		}
	}
	var exclude []string
	for _, tag := range optionalCapabilities {
		if declared[tag] {
			continue
		}
		_, n, err := selectTags(andTags(expr, tag))
		if err != nil {
			return "", err
		}
		if n > 0 {
			exclude = append(exclude, tag)
			r.notGraded = append(r.notGraded, notGraded{tag: tag, scenarios: n})
		}
	}
	filter, selected, err := selectTags(expr, exclude...)
	if err != nil {
		return "", err
	}
	if selected == 0 {
		return "", fmt.Errorf("--tags %q selects only scenarios of capabilities the client did not declare in hello's \"capabilities\" (%s): a run that tests nothing fails (ADAPTER.md, \"Capabilities\")",
			expr, strings.Join(exclude, ", "))
	}
	return filter, nil
}

package validate

// plainJSON reads the plain JSON the fast paths accept: objects, arrays and
// strings of printable ASCII without escapes, apostrophes or '<'. Anything
// else (numbers, literals, escapes, other characters) stops it, and the body
// goes through the schema, which names what is wrong. Strings it returns are
// slices of src, so a whole body costs one allocation.
type plainJSON struct {
	src string
	i   int
}

func (p *plainJSON) space() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c if it comes next.
func (p *plainJSON) next(c byte) bool {
	p.space()
	if p.i < len(p.src) && p.src[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string.
func (p *plainJSON) str() (string, bool) {
	if !p.next('"') {
		return "", false
	}
	start := p.i
	for ; p.i < len(p.src); p.i++ {
		switch c := p.src[p.i]; {
		case c == '"':
			p.i++
			return p.src[start : p.i-1], true
		case c < 0x20 || c >= 0x7f || c == '\\' || c == '\'' || c == '<':
			return "", false
		}
	}
	return "", false
}

// object reads an object, calling member for each key with the reader on
// its value; member reads the value and says whether it was acceptable.
func (p *plainJSON) object(member func(key string) bool) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	for {
		key, ok := p.str()
		if !ok || !p.next(':') || !member(key) {
			return false
		}
		if p.next('}') {
			return true
		}
		if !p.next(',') {
			return false
		}
	}
}

// array reads an array, calling elem to read each element.
func (p *plainJSON) array(elem func() bool) bool {
	if !p.next('[') {
		return false
	}
	if p.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.next(']') {
			return true
		}
		if !p.next(',') {
			return false
		}
	}
}

// end reports whether nothing but white space is left.
func (p *plainJSON) end() bool {
	p.space()
	return p.i == len(p.src)
}

// once reads a string member that may appear only once.
func (p *plainJSON) once(dst *string, seen *bool) bool {
	if *seen {
		return false
	}
	*seen = true
	v, ok := p.str()
	*dst = v
	return ok
}

// members reads an object whose keys are among keys, each at most once,
// calling read with the index of each key met; it returns the set of
// indexes met as bits.
func (p *plainJSON) members(keys []string, read func(i int) bool) (seen uint64, ok bool) {
	ok = p.object(func(key string) bool {
		for i, k := range keys {
			if k == key {
				if seen&(1<<i) != 0 {
					return false
				}
				seen |= 1 << i
				return read(i)
			}
		}
		return false
	})
	return seen, ok
}

// nonEmpty reads a string that may not be empty.
func (p *plainJSON) nonEmpty(dst *string) bool {
	v, ok := p.str()
	*dst = v
	return ok && v != ""
}

package rules

import (
	"errors"
	"strconv"
	"strings"
)

// segment is one segment of a route key: a literal or a parameter.
type segment struct {
	lit   string
	param bool
}

// route is one path key of the rules with its method blocks.
type route struct {
	key     string
	aliases []string // other spellings of the same pattern (/a/{id} beside /a/:id)
	pattern string   // key with parameter names erased, for duplicate detection
	segs    []segment
	prefix  bool // key ends with "/": matches itself and everything below
	// literal: no parameter; lit is then the key without its trailing
	// "/" ("" for "/"), and the route matches lit and, for a prefix key,
	// litSlash (lit + "/") and below (see Lookup).
	literal  bool
	lit      string
	litSlash string
	blocks   [numMethods]*methodBlock
	// table[method][backoffice] is the authorization that applies, resolved
	// at load time; nil means "try the next key".
	table [methodAll][2]*Authorization
}

// parseRouteKey parses a rule key such as "/users/:id" or "/api/".
func parseRouteKey(key string) (*route, error) {
	if !strings.HasPrefix(key, "/") {
		return nil, errors.New("paths must start with /")
	}
	if err := checkKeyBytes(key); err != nil {
		return nil, err
	}
	if strings.Contains(key, "//") {
		// also "//", which trimming its slashes would turn into the root
		return nil, errors.New("empty path segment")
	}
	rt := &route{key: key, prefix: strings.HasSuffix(key, "/")}
	body := strings.TrimSuffix(key[1:], "/")
	var pattern strings.Builder
	if body != "" {
		parts := strings.Split(body, "/")
		for i := 0; i < len(parts); i++ {
			p := parts[i]
			pattern.WriteByte('/')
			switch {
			case p == "":
				return nil, errors.New("empty path segment")
			case p == "." || p == "..":
				return nil, errors.New("dot segments are not allowed in rule paths")
			case len(p) > 1 && p[0] == ':':
				rt.segs = append(rt.segs, segment{param: true})
				pattern.WriteString("{}")
			case len(p) > 2 && p[0] == '{' && p[len(p)-1] == '}':
				rt.segs = append(rt.segs, segment{param: true})
				pattern.WriteString("{}")
			default:
				if strings.ContainsAny(p, "{}") || p == ":" {
					return nil, errors.New("invalid path parameter " + quote(p))
				}
				rt.segs = append(rt.segs, segment{lit: p})
				pattern.WriteString(p)
			}
		}
	}
	rt.literal = true
	for i := 0; i < len(rt.segs); i++ {
		if rt.segs[i].param {
			rt.literal = false
		}
	}
	if rt.literal {
		rt.lit = pattern.String()
		rt.litSlash = rt.lit + "/"
	}
	if rt.prefix {
		pattern.WriteByte('/')
	}
	rt.pattern = pattern.String()
	if rt.pattern == "" {
		rt.pattern = "/"
	}
	return rt, nil
}

// checkKeyBytes refuses the bytes a canonical request path never holds:
// a key with one of them would never match, leaving its paths to a less
// specific key. Empty and dot segments are refused by parseRouteKey.
func checkKeyBytes(key string) error {
	if strings.IndexByte(key, '*') >= 0 {
		return errors.New(`globs are not supported: use a trailing "/" for "this path and everything below it" (e.g. "/api/")`)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c <= ' ' || c == 0x7f {
			return errors.New("whitespace or a control character at byte " + strconv.Itoa(i) + ": rule paths are matched against decoded request paths, which cannot hold one")
		}
		if c == '%' || c == ';' || c == '?' || c == '#' || c == '\\' {
			return errors.New(quote(string(c)) + " at byte " + strconv.Itoa(i) + ": rule paths are matched against canonical request paths (decoded, no matrix parameters, no query or fragment), which cannot hold one")
		}
	}
	return nil
}

// match reports whether the canonical path p is covered by the key.
func (rt *route) match(p string) bool { return routeMatch(rt, p) }

// routeMatch is match as a plain function (cheaper under yaegi).
func routeMatch(rt *route, p string) bool {
	if p == "" {
		return false // not a canonical path
	}
	rest := p[1:]
	done := false
	for i := 0; i < len(rt.segs); i++ {
		if done {
			return false
		}
		var seg string
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			seg, rest, done = rest, "", true
		} else {
			seg, rest = rest[:j], rest[j+1:]
		}
		s := &rt.segs[i]
		if s.param {
			if seg == "" {
				return false
			}
		} else if seg != s.lit {
			return false
		}
	}
	if rt.prefix {
		return true
	}
	if len(rt.segs) == 0 {
		return p == "/"
	}
	return done
}

// moreSpecific reports whether a ranks before b: segment by segment a
// literal beats a parameter; then a longer key beats a shorter one; then an
// exact key beats a prefix key.
func moreSpecific(a, b *route) bool {
	n := len(a.segs)
	if len(b.segs) < n {
		n = len(b.segs)
	}
	for i := 0; i < n; i++ {
		if a.segs[i].param != b.segs[i].param {
			return !a.segs[i].param
		}
	}
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs)
	}
	return !a.prefix && b.prefix
}

// resolve fills the lookup table: the method's block, else ALL, else for
// HEAD the GET block; a backoffice request takes backofficeAuthorization
// when the block has one, else authorization; a frontend request only
// authorization.
func (rt *route) resolve() {
	for m := 0; m < methodAll; m++ {
		cands := []int{m, methodAll}
		if m == methodHEAD {
			cands = append(cands, methodGET)
		}
		for bo := 0; bo < 2; bo++ {
			for c := 0; c < len(cands); c++ {
				blk := rt.blocks[cands[c]]
				if blk == nil {
					continue
				}
				az := blk.front
				if bo == 1 && blk.back != nil {
					az = blk.back
				}
				if az != nil {
					rt.table[m][bo] = az
					break
				}
			}
		}
	}
}

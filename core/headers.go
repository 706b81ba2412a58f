package core

import (
	"encoding/json"
	"net/http"
	"net/textproto"
	"strings"
)

// Response header names of decision mode, set on every answer.
const (
	HeaderAllowed        = "mia-allowed"
	HeaderUserID         = "mia-userid"
	HeaderGroups         = "mia-groups"
	HeaderUserProperties = "mia-userproperties"
)

var (
	canonAllowed    = textproto.CanonicalMIMEHeaderKey(HeaderAllowed)
	canonUserID     = textproto.CanonicalMIMEHeaderKey(HeaderUserID)
	canonGroups     = textproto.CanonicalMIMEHeaderKey(HeaderGroups)
	canonProperties = textproto.CanonicalMIMEHeaderKey(HeaderUserProperties)
)

// allowedValue returns a fresh mia-allowed value slice. It must not be
// shared between requests: other handlers (Caddy's request_header, for
// one) edit header values in place.
func allowedValue(allowed bool) []string {
	if allowed {
		return []string{"1"}
	}
	return []string{"0"}
}

// normalizeHeaderName lower-cases name and turns every non-alphanumeric
// byte into '-', the form in which anti-spoofing compares header names.
func normalizeHeaderName(name string) string {
	b := []byte(name)
	for i := 0; i < len(b); i++ {
		b[i] = normByte(b[i])
	}
	return string(b)
}

func normByte(c byte) byte {
	// not a tagless switch with "case x, y:": yaegi tests only x there,
	// which used to turn digits into '-' under Traefik
	if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
		return c
	}
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return '-'
}

// normEqual reports whether normalizeHeaderName(name) == norm without
// allocating. norm must be normalized.
func normEqual(name, norm string) bool {
	if len(name) != len(norm) {
		return false
	}
	// The usual spelling, case aside, in one native call under yaegi. With
	// equal lengths and norm ASCII, EqualFold implies the byte loop's answer.
	if strings.EqualFold(name, norm) {
		return true
	}
	var c byte
	for i := 0; i < len(name); i++ {
		c = name[i] // normByte, inlined: a call per byte is slow under yaegi
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		} else if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			c = '-'
		}
		if c != norm[i] {
			return false
		}
	}
	return true
}

// overrideHeaders ask some frameworks to act on another method or path
// than the request line's: the upstream would act on a request that was
// not the one authorized. They are removed like spoofed identity headers.
var overrideHeaders = []string{"x-http-method-override", "x-http-method", "x-method-override", "x-original-url", "x-rewrite-url"}

// spoofGuard removes client-sent identity headers in every spelling.
type spoofGuard struct {
	// norms are the normalized names to strip.
	norms []string
	// first[b] has bit n&63 set when a name of length n starting with byte
	// b may normalize to one of norms: most headers are ruled out with one
	// lookup.
	first [256]uint64
	// hop are the normalized names that Connection tokens and trailers
	// must not carry: norms and the other headers aclgate sets.
	hop []string
}

func newSpoofGuard(names []string) *spoofGuard {
	g := &spoofGuard{}
	seen := map[string]bool{}
	for i := 0; i < len(names); i++ {
		n := normalizeHeaderName(names[i])
		if n != "" && !seen[n] {
			seen[n] = true
			g.norms = append(g.norms, n)
		}
	}
	for i := 0; i < len(g.norms); i++ {
		bit := uint64(1) << (uint(len(g.norms[i])) & 63)
		for c := 0; c < 256; c++ {
			if normByte(byte(c)) == g.norms[i][0] {
				g.first[c] |= bit
			}
		}
	}
	return g
}

// stripSpoofed deletes every header of h whose normalized name is guarded
// by g. exact lists the canonical names that trust mode reads (all of them
// guarded; authorize has deleted them already); it reports whether a
// guarded header of those was present under another spelling. It runs on
// every header of every request: the common case is one table lookup.
func stripSpoofed(g *spoofGuard, h http.Header, exact []string) bool {
	alias := false
	for name := range h {
		// (a shift of the table's value: yaegi mistypes an untyped 1<<n)
		if name != "" && g.first[name[0]]>>(uint(len(name))&63)&1 != 0 && stripOne(g, h, name, exact) {
			alias = true
		}
	}
	return alias
}

// stripOne deletes the header name when it normalizes to a guarded name,
// and reports whether it was an alias of a name that trust mode reads. It
// is apart from stripSpoofed's loop because under yaegi every temporary of
// a function is allocated on each call: the loop, run for every header of
// every request, stays small.
func stripOne(g *spoofGuard, h http.Header, name string, exact []string) bool {
	norms := g.norms
	for i := 0; i < len(norms); i++ {
		if len(name) == len(norms[i]) && normEqual(name, norms[i]) {
			delete(h, name)
			return len(exact) > 0 && !contains(exact, name) && isAliasOf(exact, norms[i])
		}
	}
	return false
}

// isAliasOf reports whether one of the exact names normalizes to norm.
func isAliasOf(exact []string, norm string) bool {
	for j := 0; j < len(exact); j++ {
		if normEqual(exact[j], norm) {
			return true
		}
	}
	return false
}

// propertiesJSON encodes the fields of props named in names as a JSON object;
// "{}" when none is present (callers skip the call when props or names is
// empty). quoted holds the names JSON-encoded. The string is built by
// concatenation: under yaegi every strings.Builder method call costs a
// reflective call.
func propertiesJSON(props map[string]any, names, quoted []string) string {
	out := "{"
	var v any
	var ok bool
	var enc []byte
	var err error
	for i := 0; i < len(names); i++ {
		if v, ok = props[names[i]]; !ok {
			continue
		}
		if enc, err = json.Marshal(v); err != nil {
			continue
		}
		if len(out) > 1 {
			out += ","
		}
		out += quoted[i] + ":" + string(enc)
	}
	return out + "}"
}

// joinGroups joins groups with ",", without allocating for zero or one group.
func joinGroups(groups []string) string {
	switch len(groups) {
	case 0:
		return ""
	case 1:
		return groups[0]
	}
	return strings.Join(groups, ",")
}

package core

import (
	"encoding/json"
	"net/http"
	"net/textproto"
	"strings"
)

// Response header names of decision mode (SPEC §5.3).
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
// byte into '-' (SPEC §5.1).
func normalizeHeaderName(name string) string {
	b := []byte(name)
	for i := 0; i < len(b); i++ {
		b[i] = normByte(b[i])
	}
	return string(b)
}

func normByte(c byte) byte {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return c
	case 'A' <= c && c <= 'Z':
		return c + ('a' - 'A')
	}
	return '-'
}

// normEqual reports whether normalizeHeaderName(name) == norm without
// allocating.
func normEqual(name, norm string) bool {
	if len(name) != len(norm) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if normByte(name[i]) != norm[i] {
			return false
		}
	}
	return true
}

// spoofGuard removes client-sent identity headers in every spelling.
type spoofGuard struct {
	// norms are the normalized names to strip.
	norms []string
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
	return g
}

// strip deletes every header of h whose normalized name is guarded.
// exact lists the canonical names that trust mode reads; strip reports
// whether a guarded header of those was present under another spelling.
func (g *spoofGuard) strip(h http.Header, exact []string) (alias bool) {
	for name := range h {
		for i := 0; i < len(g.norms); i++ {
			if !normEqual(name, g.norms[i]) {
				continue
			}
			if len(exact) > 0 && !contains(exact, name) {
				for j := 0; j < len(exact); j++ {
					if normEqual(exact[j], g.norms[i]) {
						alias = true
					}
				}
			}
			delete(h, name)
			break
		}
	}
	return alias
}

// setHeader sets h[key] = v, reusing old's backing array when possible.
func setHeader(h http.Header, key, v string, old []string) {
	if cap(old) > 0 {
		old = old[:1]
		old[0] = v
		h[key] = old
		return
	}
	h[key] = []string{v}
}

// propertiesJSON encodes the fields of props named in names as a JSON object;
// "{}" when none is present.
func propertiesJSON(props map[string]any, names []string) string {
	if len(props) == 0 || len(names) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	for i := 0; i < len(names); i++ {
		v, ok := props[names[i]]
		if !ok {
			continue
		}
		enc, err := json.Marshal(v)
		if err != nil {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(names[i])
		b.Write(k)
		b.WriteByte(':')
		b.Write(enc)
		n++
	}
	b.WriteByte('}')
	return b.String()
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

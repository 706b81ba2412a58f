package core

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// trustedSource reads the user from headers set by a trusted edge
// (Mia's TRUST_MIA_USER_HEADERS).
type trustedSource struct {
	idKey, groupsKey, propsKey string // canonical header names
	permissionsKey             string
	props                      *proxyProps // to precompute upstream values
	memo                       trustMemo
}

// trustMemo remembers the users parsed from trusted header values, keyed
// by the three values: an edge sends the same few users over and over, and
// parsing (a split, trims, a JSON decoding) is most of the cost of a
// trust-mode decision under yaegi. A memoised user is exactly what parsing
// gives, with its upstream header values computed once.
type trustMemo struct {
	mu    sync.RWMutex
	users map[string]User
}

// trustMemoSize bounds the memo; a full memo starts over.
const trustMemoSize = 4096

// readTrusted parses the trusted headers, whose values v holds, into u,
// which must be the zero User, and deletes them from h (the spoof guard
// then looks only for aliases). Repeated headers are ambiguous and
// rejected: readTrusted then reports false and leaves u zero.
func readTrusted(s *trustedSource, h http.Header, v *headerSlices, u *User) bool {
	delete(h, s.idKey)
	delete(h, s.groupsKey)
	delete(h, s.propsKey)
	if len(v.id) > 1 || len(v.groups) > 1 || len(v.props) > 1 {
		return false
	}
	if len(v.id) == 0 {
		return true
	}
	g, p := "", ""
	if len(v.groups) == 1 {
		g = v.groups[0]
	}
	if len(v.props) == 1 {
		p = v.props[0]
	}
	key := v.id[0] + "\x00" + g + "\x00" + p
	s.memo.mu.RLock()
	m, ok := s.memo.users[key]
	s.memo.mu.RUnlock()
	if ok {
		*u = m
		return true
	}
	return parseTrusted(s, v, u, key)
}

// parseTrusted parses the trusted header values into u and memoises the
// user under key.
func parseTrusted(s *trustedSource, v *headerSlices, u *User, key string) bool {
	id := strings.TrimSpace(v.id[0])
	if id == "" {
		return true
	}
	if len(v.groups) == 1 && v.groups[0] != "" {
		// splitGroups, inlined: a comma-separated list, items trimmed,
		// empty ones dropped (in place)
		parts := strings.Split(v.groups[0], ",")
		u.Groups = parts[:0]
		var g string
		for i := 0; i < len(parts); i++ {
			if g = strings.TrimSpace(parts[i]); g != "" {
				u.Groups = append(u.Groups, g)
			}
		}
	}
	if len(v.props) == 1 {
		p := v.props[0]
		if p == "{}" {
			// what the upstream headers carry for a user without properties
			u.Properties = map[string]any{}
		} else if p != "" && (p[0] == '{' || strings.TrimSpace(p) != "") {
			// decodeObject, inlined (into a local: &u.Properties would make
			// the caller's Decision escape)
			var m map[string]any
			dec := json.NewDecoder(strings.NewReader(p))
			dec.UseNumber()
			if dec.Decode(&m) != nil || m == nil || dec.More() {
				u.Groups = nil
				return false
			}
			u.Properties = m
			if s.permissionsKey != "" {
				if x := m[s.permissionsKey]; x != nil {
					u.Permissions = stringList(x)
				}
			}
		}
	}
	u.ID = id
	*u = withUpstream(s.props, *u)
	s.memo.mu.Lock()
	if len(s.memo.users) >= trustMemoSize || s.memo.users == nil {
		s.memo.users = map[string]User{}
	}
	s.memo.users[key] = *u
	s.memo.mu.Unlock()
	return true
}

// decodeObject decodes a JSON object, keeping numbers as json.Number.
func decodeObject(data io.Reader) (map[string]any, error) {
	dec := json.NewDecoder(data)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errBadUserHeaders // "null"
	}
	if dec.More() {
		return nil, errBadUserHeaders
	}
	return m, nil
}

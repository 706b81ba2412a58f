package core

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// trustedSource reads the user from headers set by a trusted edge
// (SPEC §2.3, Mia's TRUST_MIA_USER_HEADERS).
type trustedSource struct {
	idKey, groupsKey, propsKey string // canonical header names
	permissionsKey             string
}

// read parses the trusted headers of h. It must run before the spoof guard
// strips them. Repeated headers are ambiguous and rejected.
func (s *trustedSource) read(h http.Header) (User, error) {
	var u User
	ids := h[s.idKey]
	if len(ids) > 1 || len(h[s.groupsKey]) > 1 || len(h[s.propsKey]) > 1 {
		return u, errBadUserHeaders
	}
	if len(ids) == 0 || strings.TrimSpace(ids[0]) == "" {
		return u, nil
	}
	u.ID = strings.TrimSpace(ids[0])
	if g := h[s.groupsKey]; len(g) == 1 {
		u.Groups = splitGroups(g[0])
	}
	if p := h[s.propsKey]; len(p) == 1 && strings.TrimSpace(p[0]) != "" {
		props, err := decodeObject([]byte(p[0]))
		if err != nil {
			return User{}, errBadUserHeaders
		}
		u.Properties = props
		if s.permissionsKey != "" {
			u.Permissions = stringList(props[s.permissionsKey])
		}
	}
	return u, nil
}

// splitGroups splits a comma-separated list, trimming items and dropping
// empty ones.
func splitGroups(v string) []string {
	if v == "" {
		return nil
	}
	n := strings.Count(v, ",") + 1
	out := make([]string, 0, n)
	for {
		i := strings.IndexByte(v, ',')
		item := v
		if i >= 0 {
			item = v[:i]
		}
		item = strings.TrimSpace(item)
		if item != "" {
			out = append(out, item)
		}
		if i < 0 {
			return out
		}
		v = v[i+1:]
	}
}

// decodeObject decodes a JSON object, keeping numbers as json.Number.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
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

// stringList returns the strings of a JSON array (non-strings are skipped),
// or the fields of a space-separated string.
func stringList(v any) []string {
	if arr, ok := v.([]any); ok {
		out := make([]string, 0, len(arr))
		for i := 0; i < len(arr); i++ {
			if s, ok := arr[i].(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := v.(string); ok {
		return strings.Fields(s)
	}
	return nil
}

// idString turns a JSON id into a string: strings as they are, numbers in
// decimal; anything else is no id.
func idString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return itoa64(i)
		}
		if f, err := n.Float64(); err == nil {
			return formatFloat(f)
		}
		return n.String()
	}
	if f, ok := v.(float64); ok {
		return formatFloat(f)
	}
	return ""
}

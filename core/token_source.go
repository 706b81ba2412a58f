package core

import (
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

	"github.com/aclgate/aclgate/core/jose"
)

// Kinds of a token_from entry.
const (
	fromHeader = 1 // header:<Name>; Authorization needs the Bearer scheme
	fromCookie = 2 // cookie:<name>
	fromQuery  = 3 // query:<name>, removed from the URL before forwarding
)

// tokenFrom is one parsed token_from entry.
type tokenFrom struct {
	kind int
	name string // canonical header name, cookie name or query parameter
}

// parseTokenFrom parses token_from. It returns nil for the default
// (header:Authorization alone), which identify reads on a faster path.
// option names the option in errors ("jwt: token_from").
func parseTokenFrom(list []string, option string) ([]tokenFrom, error) {
	var out []tokenFrom
	for i := 0; i < len(list); i++ {
		raw := strings.TrimSpace(list[i])
		kind, name, ok := 0, "", false
		if j := strings.IndexByte(raw, ':'); j > 0 {
			name = strings.TrimSpace(raw[j+1:])
			switch strings.ToLower(raw[:j]) {
			case "header":
				kind = fromHeader
				ok = validHeaderName(name)
				name = textproto.CanonicalMIMEHeaderKey(name)
			case "cookie":
				kind = fromCookie
				ok = validCookieName(name)
			case "query":
				kind = fromQuery
				ok = name != "" && !strings.ContainsAny(name, "&=#")
			}
		}
		if !ok {
			return nil, errors.New(option + ": " + quote(raw) + " (entry " + strconv.Itoa(i+1) + ") is not header:<Name>, cookie:<name> or query:<name>")
		}
		for k := 0; k < len(out); k++ {
			if out[k].kind == kind && out[k].name == name {
				return nil, errors.New(option + ": " + quote(raw) + " (entry " + strconv.Itoa(i+1) + ") is given twice")
			}
		}
		out = append(out, tokenFrom{kind: kind, name: name})
	}
	if len(out) == 1 && out[0].kind == fromHeader && out[0].name == "Authorization" {
		return nil, nil
	}
	return out, nil
}

// validCookieName: an RFC 6265 cookie-name is an RFC 7230 token, as a
// header name is.
func validCookieName(s string) bool { return validHeaderName(s) }

// jwtToken finds the token of r. present is true when a source holds one
// (which may still be empty: invalid). The default (from == nil) reads
// Authorization: Bearer only.
func jwtToken(s *jwtSource, r *http.Request) (string, bool) {
	if s.from == nil {
		return jose.BearerToken(r.Header)
	}
	return tokenFromSources(s.from, r, s.decision)
}

// tokenFromSources looks for the token in each source in order; the first
// one present is the token. Every query source is then removed from an
// inline request's URL, whichever source held the token, so that the
// upstream never sees a token in the URL.
func tokenFromSources(from []tokenFrom, r *http.Request, decision bool) (string, bool) {
	tok, present := "", false
	for i := 0; i < len(from); i++ {
		f := &from[i]
		if present && f.kind != fromQuery {
			continue
		}
		t, ok := "", false
		switch f.kind {
		case fromHeader:
			t, ok = headerToken(r.Header, f.name)
		case fromCookie:
			if c, err := r.Cookie(f.name); err == nil && c.Value != "" {
				t, ok = c.Value, true
			}
		case fromQuery:
			t, ok = queryToken(r, f.name, decision)
		}
		if ok && !present {
			tok, present = t, true
		}
	}
	return tok, present
}

// headerToken reads a token from a header. Authorization needs the Bearer
// scheme (another scheme: no token here); any other header carries the
// bare token or "Bearer <token>". The header given twice is present and
// invalid.
func headerToken(h http.Header, name string) (string, bool) {
	if name == "Authorization" {
		return jose.BearerToken(h)
	}
	vals := h[name]
	if len(vals) == 0 {
		return "", false
	}
	if len(vals) > 1 {
		return "", true
	}
	v := strings.Trim(vals[0], " \t")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		v = strings.TrimLeft(v[7:], " \t")
	}
	return v, true
}

// queryToken reads the query parameter name: inline from the request URL,
// which it then loses (RawQuery and RequestURI); in decision mode from the
// query of the URI decided on, which aclgate cannot change. A parameter
// given twice is present and invalid.
func queryToken(r *http.Request, name string, decision bool) (string, bool) {
	q := r.URL.RawQuery
	if decision {
		q = decisionURI(r.Header)
		i := strings.IndexByte(q, '?')
		if i < 0 {
			return "", false
		}
		q = q[i+1:]
		if j := strings.IndexByte(q, '#'); j >= 0 {
			q = q[:j]
		}
	}
	if q == "" || (!strings.Contains(q, name) && strings.IndexByte(q, '%') < 0) {
		return "", false
	}
	tok, n, rest := queryParam(q, name)
	if n == 0 {
		return "", false
	}
	if !decision {
		r.URL.RawQuery = rest
		r.URL.ForceQuery = false
		if r.RequestURI != "" {
			r.RequestURI = r.URL.RequestURI()
		}
	}
	if n > 1 {
		return "", true
	}
	return tok, true
}

// queryParam returns the (unescaped) value of the parameter name in the raw
// query q, how many times it occurs, and q without it.
func queryParam(q, name string) (string, int, string) {
	parts := strings.Split(q, "&")
	kept := parts[:0]
	val, n := "", 0
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		k, v := p, ""
		if j := strings.IndexByte(p, '='); j >= 0 {
			k, v = p[:j], p[j+1:]
		}
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if k != name {
			kept = append(kept, p)
			continue
		}
		n++
		if uv, err := url.QueryUnescape(v); err == nil {
			val = uv
		} else {
			val = ""
		}
	}
	return val, n, strings.Join(kept, "&")
}

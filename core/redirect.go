package core

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// loginRedirect is the login_redirect URL, split around its {uri}
// placeholders at load time.
type loginRedirect struct {
	parts []string // the URL split on "{uri}"
}

// newLoginRedirect validates u: an http(s) URL or a path starting with "/".
func newLoginRedirect(u string) (*loginRedirect, error) {
	if u == "" {
		return nil, nil
	}
	probe := strings.ReplaceAll(u, "{uri}", "x")
	p, err := url.Parse(probe)
	ok := err == nil && !strings.ContainsAny(probe, " \t\r\n{}")
	if ok {
		if p.Scheme != "" {
			ok = (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
		} else {
			ok = strings.HasPrefix(probe, "/") && !strings.HasPrefix(probe, "//")
		}
	}
	if !ok {
		return nil, errors.New("login_redirect: " + quote(u) + " is not an http(s) URL or a path starting with /; {uri} is the only placeholder")
	}
	return &loginRedirect{parts: strings.Split(u, "{uri}")}, nil
}

// location expands the placeholders with the query-escaped uri.
func (l *loginRedirect) location(uri string) string {
	if len(l.parts) == 1 {
		return l.parts[0]
	}
	return strings.Join(l.parts, url.QueryEscape(uri))
}

// wantsLogin reports whether a 401 for r goes to the login page instead:
// a GET or HEAD navigation whose Accept header prefers HTML.
func wantsLogin(method string, h http.Header) bool {
	if method != http.MethodGet && method != http.MethodHead {
		return false
	}
	v := h["Accept"]
	return len(v) > 0 && prefersHTML(strings.Join(v, ","))
}

// prefersHTML reports whether an Accept header ranks text/html (or
// application/xhtml+xml) above JSON: a browser navigation
// ("text/html,application/xhtml+xml,…,*/*;q=0.8") does, an API client
// ("application/json", "*/*") does not. On equal quality the type listed
// first wins.
func prefersHTML(accept string) bool {
	htmlQ, jsonQ := -1.0, -1.0
	htmlAt, jsonAt := -1, -1
	items := strings.Split(accept, ",")
	for i := 0; i < len(items); i++ {
		media, q := acceptItem(items[i])
		switch {
		case media == "text/html" || media == "application/xhtml+xml":
			if q > htmlQ {
				htmlQ, htmlAt = q, i
			}
		case media == "application/json" || strings.HasSuffix(media, "+json"):
			if q > jsonQ {
				jsonQ, jsonAt = q, i
			}
		}
	}
	if htmlQ <= 0 {
		return false
	}
	return htmlQ > jsonQ || (htmlQ == jsonQ && htmlAt < jsonAt)
}

// acceptItem returns the lower-cased media type of one Accept item and its
// quality (1 when not given, 0 when malformed).
func acceptItem(item string) (string, float64) {
	params := strings.Split(item, ";")
	media := strings.ToLower(strings.TrimSpace(params[0]))
	q := 1.0
	for j := 1; j < len(params); j++ {
		p := strings.TrimSpace(params[j])
		if len(p) > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=' {
			f, err := strconv.ParseFloat(p[2:], 64)
			if err != nil || f < 0 || f > 1 {
				f = 0
			}
			q = f
		}
	}
	return media, q
}

package core

import (
	"net/http"
	"strings"

	"github.com/aclgate/aclgate/core/expr"
	"github.com/aclgate/aclgate/core/rules"
)

// Reasons of a Decision, stable strings for logs and metrics labels.
const (
	ReasonAllowed         = "allowed"
	ReasonRouteNotFound   = "route_not_found"
	ReasonUnauthenticated = "unauthenticated"
	ReasonForbidden       = "forbidden"
	ReasonInvalidToken    = "invalid_token"
	ReasonBadRequest      = "bad_request"
)

// Decision is the outcome of [Authorizer.Authorize].
type Decision struct {
	// Status is the HTTP status of the decision: 200 lets the request continue
	// (inline) or is the answer (decision mode); 400, 401 and 403 deny.
	Status int
	// Allowed is the mia-allowed value.
	Allowed bool
	// Continue reports whether the adapter must call the next handler
	// (inline mode and Status 200).
	Continue bool
	// Reason is one of the Reason* constants.
	Reason string
	// Route names the matched rule ("GET /users/:id"); empty when none.
	Route string
	// Method and Path are the method and canonical path decided on.
	Method, Path string
	// User is the caller; the zero User when anonymous.
	User User

	message string
}

// Authorize decides on r. It always removes spoofed identity headers from
// r. In inline mode, when the request may continue, it rewrites
// r.URL to the canonical path and sets the upstream identity
// headers. It never writes a response: call [Authorizer.Respond]
// when Continue is false.
func (a *Authorizer) Authorize(r *http.Request) Decision {
	var d Decision
	if r == nil || r.Header == nil || r.URL == nil {
		if !oddRequest(r, &d) {
			return d
		}
	}
	authorize(a, r, &d)
	return d
}

// oddRequest handles a request no server produces: without a URL (400),
// or without a Header map (given an empty one). It reports whether the
// request can be decided.
func oddRequest(r *http.Request, d *Decision) bool {
	if r == nil || r.URL == nil {
		reject(d, ReasonBadRequest, msgBadPath)
		return false
	}
	r.Header = http.Header{}
	return true
}

// authorize is Authorize. The request path is written for yaegi (Traefik)
// as much as for the compiler (CONTRIBUTING.md, "Performance under
// yaegi"): plain functions rather than methods, no func values, few calls,
// and small functions with the rare branches moved out, since yaegi
// allocates every local and temporary of a function on each call, whether
// its code runs or not.
func authorize(a *Authorizer, r *http.Request, d *Decision) {
	h := r.Header
	var old headerSlices
	bad := false
	if a.trusted != nil {
		old = headerSlices{h[a.upID], h[a.upGroups], h[a.upProps]}
		if old.id != nil || old.groups != nil || old.props != nil {
			bad = !readTrusted(a.trusted, h, &old, &d.User)
		}
	}
	if len(h) > 0 && stripSpoofed(a.guard, h, a.exact) {
		bad = true
	}
	if h["Connection"] != nil || h["Trailer"] != nil || r.Trailer != nil || r.ContentLength < 0 {
		guardHops(a.guard, r)
	}

	// what to decide on
	var p string
	if a.decision {
		if p = decisionRequest(h, d); p == "" {
			return
		}
	} else {
		d.Method = r.Method
		p = r.URL.EscapedPath()
	}
	if len(p) == 0 || p[0] != '/' || !isCanonical(p) {
		if p = canonicalOrReject(p, d); p == "" {
			return
		}
	}
	d.Path = p
	if bad {
		reject(d, ReasonBadRequest, msgBadUserHeaders)
		return
	}
	backoffice := false
	if v := h[a.backoffice]; len(v) > 0 {
		backoffice = isTrue(v)
	}

	// who is calling (trust mode: read above)
	if a.ident != nil && !identify(a, r, d, backoffice) {
		return
	}

	// which rule, and does it hold
	reason := ReasonAllowed
	az := rules.Lookup(a.rules, p, d.Method, backoffice)
	if az == nil {
		reason = ReasonRouteNotFound
	} else {
		d.Route = az.Route
		if !az.Public && d.User.ID == "" {
			reason = ReasonUnauthenticated
		} else if !az.Always {
			reason = evalRule(a, az, d, h, backoffice)
		}
	}
	if reason == ReasonAllowed {
		d.Allowed = true
		d.Status = http.StatusOK
		d.Reason = ReasonAllowed
	} else if !denied(a, d, reason) {
		return
	}
	if !a.decision {
		d.Continue = true
		if d.User.ID != "" || !a.strict || r.URL.Path != p || r.URL.RawPath != "" {
			forward(a, r, d, &old)
		}
	}
}

// decisionRequest sets the method of a decision-mode request and returns
// the escaped path it asks about; "" when missing, the outcome then set.
func decisionRequest(h http.Header, d *Decision) string {
	p, method := decisionTarget(h)
	if p == "" || method == "" {
		reject(d, ReasonBadRequest, msgMissingTarget)
		return ""
	}
	if h["X-Forwarded-Uri"] != nil || h["X-Forwarded-Method"] != nil {
		if !sameTarget(h, p, method) {
			reject(d, ReasonBadRequest, msgConflicting)
			return ""
		}
	}
	d.Method = method
	return p
}

// sameTarget reports whether the X-Forwarded-Uri and -Method of h, when
// present, name the request that p and method (from Original-Request-*)
// name: the same method and the same canonical path. A front end such as
// Traefik forwardAuth sets X-Forwarded-* itself but passes a client's
// Original-Request-* through; the client must not choose what is decided.
func sameTarget(h http.Header, p, method string) bool {
	if first(h, "Original-Request-Uri") == "" {
		return true // p and method come from X-Forwarded-*
	}
	if m := first(h, "X-Forwarded-Method"); m != "" && m != method {
		return false
	}
	u := first(h, "X-Forwarded-Uri")
	if u == "" {
		return true
	}
	u = targetPath(u)
	if u == p {
		return true
	}
	c1, err1 := CanonicalPath(p)
	c2, err2 := CanonicalPath(u)
	return err1 == nil && err2 == nil && c1 == c2
}

// canonicalOrReject is CanonicalPath; "" when p is invalid, the outcome
// then set.
func canonicalOrReject(p string, d *Decision) string {
	c, err := CanonicalPath(p)
	if err != nil {
		reject(d, ReasonBadRequest, msgBadPath)
		return ""
	}
	return c
}

// evalRule runs the rule's expression for the caller of d.
func evalRule(a *Authorizer, az *rules.Authorization, d *Decision, h http.Header, backoffice bool) string {
	u := &d.User
	env := expr.Env{Groups: u.Groups, Permissions: u.Permissions, User: u.Properties, IsBackoffice: backoffice}
	if u.ID == "" {
		env.User = nil
	} else if env.User == nil {
		env.User = noProperties
	}
	if v := h[a.clientType]; len(v) > 0 {
		env.ClientType = v[0]
	}
	if expr.Run(az.Expr, &env) {
		return ReasonAllowed
	}
	return ReasonForbidden
}

// noProperties is the identity document of a user without properties: an
// expression sees user as {} rather than null. It is never written to.
var noProperties = map[string]any{}

// identify asks the identity source for the caller; on error it sets the
// outcome and reports false.
func identify(a *Authorizer, r *http.Request, d *Decision, backoffice bool) bool {
	u, err := a.ident.identify(r, backoffice)
	if err != nil {
		reject(d, ReasonInvalidToken, msgInvalidToken)
		return false
	}
	d.User = u
	return true
}

// reject sets the outcome of a request that no rule decides on. The caller
// is not reported, even when trusted headers named one.
func reject(d *Decision, reason, msg string) {
	d.Status = http.StatusBadRequest
	if reason == ReasonInvalidToken {
		d.Status = http.StatusUnauthorized
	}
	d.Reason = reason
	d.message = msg
	d.User = User{}
}

// denied sets the outcome of a denial: its status when strict, 200
// otherwise; it reports whether the request goes on (200). A
// failed expression denies the anonymous caller as unauthenticated.
func denied(a *Authorizer, d *Decision, reason string) bool {
	status := http.StatusUnauthorized
	msg := msgUnauthenticated
	switch {
	case reason == ReasonRouteNotFound:
		msg = msgRouteNotFound
	case reason == ReasonForbidden && d.User.ID == "":
		reason = ReasonUnauthenticated
	case reason == ReasonForbidden:
		status = http.StatusForbidden
		msg = msgForbidden
	}
	if !a.strict {
		status = http.StatusOK
	}
	d.Status = status
	d.Reason = reason
	d.message = msg
	return status == http.StatusOK
}

// headerSlices are the value slices of the trusted identity headers, reused
// for the upstream headers to save allocations.
type headerSlices struct{ id, groups, props []string }

// forward prepares an inline request that continues upstream: the
// canonical path, the upstream identity headers and, when
// not strict, mia-allowed. old holds the value slices of the trusted
// headers, reused (append to [:0]) to avoid allocations.
func forward(a *Authorizer, r *http.Request, d *Decision, old *headerSlices) {
	if r.URL.Path != d.Path || r.URL.RawPath != "" {
		forwardPath(r, d.Path)
	}
	h := r.Header
	if !a.strict {
		h[canonAllowed] = allowedValue(d.Allowed)
	}
	u := &d.User
	if u.ID == "" {
		return
	}
	props := "{}"
	if len(a.propsQuoted) > 0 && len(u.Properties) > 0 {
		props = propertiesJSON(u.Properties, a.propsToProxy, a.propsQuoted)
	}
	h[a.upID] = append(old.id[:0], u.ID)
	h[a.upGroups] = append(old.groups[:0], strings.Join(u.Groups, ","))
	h[a.upProps] = append(old.props[:0], props)
}

// forwardPath puts the canonical path p on r.
func forwardPath(r *http.Request, p string) {
	r.URL.Path = p
	r.URL.RawPath = ""
	// Traefik's proxy builds the upstream URL from RequestURI, Caddy's
	// from URL: keep both on the path that was authorized.
	if r.RequestURI != "" {
		r.RequestURI = r.URL.RequestURI()
	}
}

// decisionTarget returns the escaped path (query removed) and method that a
// decision-mode request asks about: Original-Request-Uri and -Method, else
// X-Forwarded-Uri and -Method.
func decisionTarget(h http.Header) (string, string) {
	uri, method := first(h, "Original-Request-Uri"), first(h, "Original-Request-Method")
	if uri == "" {
		uri, method = first(h, "X-Forwarded-Uri"), first(h, "X-Forwarded-Method")
	}
	return targetPath(uri), method
}

// targetPath is the escaped path of a request target: origin form
// (/path?query) or absolute form (scheme://host/path?query).
func targetPath(uri string) string {
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	// absolute form: scheme://host/path
	if i := strings.Index(uri, "://"); i > 0 && !strings.HasPrefix(uri, "/") {
		rest := uri[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			uri = "/"
		} else {
			uri = rest[j:]
		}
	}
	return uri
}

func first(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// isTrue reports whether a backoffice header says 1 or true (case-insensitive).
func isTrue(v []string) bool {
	if len(v) == 0 {
		return false
	}
	s := strings.TrimSpace(v[0])
	return s == "1" || strings.EqualFold(s, "true")
}

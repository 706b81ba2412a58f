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
	ReasonInvalidAPIKey   = "invalid_api_key"
	ReasonPreflight       = "preflight"
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
	// ClientType is the clientType the rules saw: the API key's client type
	// (or the client-type header, where configured); "" when none.
	ClientType string
	// Backoffice reports whether the request was decided as a backoffice
	// request.
	Backoffice bool

	message string // the denial's message; with Status 302, the login page
}

// Authorize decides on r. It always removes spoofed identity headers from
// r. In inline mode, when the request may continue, it rewrites
// r.URL to the canonical path and sets the upstream identity
// headers. It never writes a response: call [Authorizer.Respond]
// when Continue is false.
func (a *Authorizer) Authorize(r *http.Request) Decision {
	var d Decision
	Decide(a, r, &d)
	return d
}

// Decide is Authorize as a plain function that fills d, which must be the
// zero Decision: an interpreter such as Traefik's yaegi calls it for a
// fraction of the cost of a method call returning a struct.
func Decide(a *Authorizer, r *http.Request, d *Decision) {
	if r == nil || r.Header == nil || r.URL == nil {
		if !oddRequest(r, d) {
			return
		}
	}
	if a.ops {
		authorizeOps(a, r, d)
		return
	}
	authorize(a, r, d)
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

	// the gateway's own inputs
	if a.inputs && !readInputs(a, r, d, &old) {
		return
	}

	// who is calling (trust mode: read above)
	if a.ident != nil && !identify(a, r, d) {
		return
	}

	// which rule, and does it hold
	reason := ReasonAllowed
	az := rules.Lookup(a.rules, p, d.Method, d.Backoffice)
	if az == nil {
		reason = ReasonRouteNotFound
	} else {
		d.Route = az.Route
		if !az.Public && d.User.ID == "" {
			reason = ReasonUnauthenticated
		} else if !az.Always {
			reason = evalRule(az, d)
		}
	}
	if reason == ReasonAllowed {
		d.Allowed = true
		d.Status = http.StatusOK
		d.Reason = ReasonAllowed
	} else if !denied(a, r, d, reason) {
		return
	}
	if !a.decision {
		d.Continue = true
		if d.User.ID != "" || a.alwaysForward || r.URL.Path != p || r.URL.RawPath != "" {
			forward(a, r, d, &old)
		}
	}
}

// readInputs reads what the gateway, not the client, decides: the
// backoffice flag, the client type and whether the request is a CORS
// preflight to let through. It reports false when the request is answered
// already (an unknown API key, a preflight).
func readInputs(a *Authorizer, r *http.Request, d *Decision, old *headerSlices) bool {
	h := r.Header
	d.Backoffice = a.boAlways
	if a.boFromHeader {
		if v := h[a.backoffice]; len(v) > 0 {
			d.Backoffice = isTrue(v)
		}
	}
	key := ""
	if a.keys != nil {
		key = presentedAPIKey(r)
		if !a.decision {
			delete(h, apiKeyHeader)
			delete(h, apiKeySecretHeader)
		}
	}
	if a.preflightPass && d.Method == http.MethodOptions && isPreflight(h) {
		allow(a, r, d, old, ReasonPreflight)
		return false
	}
	if key != "" && !clientTypeOf(a, key, d) {
		return false
	}
	if a.ctFromHeader {
		if v := h[a.clientType]; len(v) > 0 {
			d.ClientType = v[0]
		}
	}
	return true
}

// allow lets a request through without identity or rules (a CORS
// preflight): decision mode answers 200 with mia-allowed 1, inline the
// request continues on its canonical path.
func allow(a *Authorizer, r *http.Request, d *Decision, old *headerSlices, reason string) {
	d.User = User{}
	d.Allowed = true
	d.Status = http.StatusOK
	d.Reason = reason
	if !a.decision {
		d.Continue = true
		forward(a, r, d, old)
	}
}

// isPreflight reports whether a request (known to be OPTIONS) is a CORS
// preflight: it names an Origin and the method it asks about.
func isPreflight(h http.Header) bool {
	return len(h["Origin"]) > 0 && len(h["Access-Control-Request-Method"]) > 0
}

// clientTypeOf resolves key to d.ClientType; an unknown key is a 401 on
// every route, public ones too, and it reports false.
func clientTypeOf(a *Authorizer, key string, d *Decision) bool {
	ct, ok := resolveAPIKey(a.keys, key)
	if !ok {
		reject(d, ReasonInvalidAPIKey, msgInvalidAPIKey)
		return false
	}
	d.ClientType = ct
	return true
}

// loginOr401 turns a 401 of a browser navigation into a 302 to the login
// page (a.login, which the caller checked). A wrong API key is never redirected:
// logging in would not fix it.
func loginOr401(a *Authorizer, r *http.Request, d *Decision) {
	if d.Status != http.StatusUnauthorized || d.Reason == ReasonInvalidAPIKey {
		return
	}
	if !wantsLogin(d.Method, r.Header) {
		return
	}
	uri := r.RequestURI // as the client sent it, before any rewrite
	if a.decision {
		uri = decisionURI(r.Header)
	} else if uri == "" || uri[0] != '/' {
		uri = r.URL.RequestURI()
	}
	d.Status = http.StatusFound
	d.message = a.login.location(uri)
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

// evalRule runs the rule's expression for the caller of d: from the
// groups and permissions alone when that is all it reads (no Env to build,
// which counts under yaegi), else with the whole Env.
func evalRule(az *rules.Authorization, d *Decision) string {
	v, ok := expr.RunSets(az.Expr, d.User.Groups, d.User.Permissions)
	if !ok {
		v = evalRuleEnv(az, d)
	}
	if v {
		return ReasonAllowed
	}
	return ReasonForbidden
}

// evalRuleEnv runs the rule's expression with the whole Env.
func evalRuleEnv(az *rules.Authorization, d *Decision) bool {
	u := &d.User
	env := expr.Env{Groups: u.Groups, Permissions: u.Permissions, User: u.Properties,
		ClientType: d.ClientType, IsBackoffice: d.Backoffice}
	if u.ID == "" {
		env.User = nil
	} else if env.User == nil {
		env.User = noProperties
	}
	return expr.Run(az.Expr, &env)
}

// noProperties is the identity document of a user without properties: an
// expression sees user as {} rather than null. It is never written to.
var noProperties = map[string]any{}

// identify asks the identity source for the caller; on error it sets the
// outcome and reports false.
func identify(a *Authorizer, r *http.Request, d *Decision) bool {
	u, err := a.ident.identify(r, d.Backoffice)
	if err != nil {
		reject(d, ReasonInvalidToken, msgInvalidToken)
		if a.login != nil {
			loginOr401(a, r, d)
		}
		return false
	}
	d.User = u
	return true
}

// reject sets the outcome of a request that no rule decides on. The caller
// is not reported, even when trusted headers named one.
func reject(d *Decision, reason, msg string) {
	d.Status = http.StatusBadRequest
	if reason == ReasonInvalidToken || reason == ReasonInvalidAPIKey {
		d.Status = http.StatusUnauthorized
	}
	d.Reason = reason
	d.message = msg
	d.User = User{}
}

// denied sets the outcome of a denial: its status when strict, 200
// otherwise; it reports whether the request goes on (200). A
// failed expression denies the anonymous caller as unauthenticated. A 401
// of a browser navigation becomes a 302 to the login page when one is
// configured.
func denied(a *Authorizer, r *http.Request, d *Decision, reason string) bool {
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
	if a.login != nil {
		loginOr401(a, r, d)
	}
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
	if a.setsInputs {
		forwardInputs(a, h, d)
	}
	u := &d.User
	if u.ID == "" {
		return
	}
	up := upstreamOf(&a.props, u)
	h[a.upID] = append(old.id[:0], u.ID)
	h[a.upGroups] = append(old.groups[:0], up.groups)
	h[a.upProps] = append(old.props[:0], up.props)
}

// forwardInputs sets the inputs that aclgate decided for the upstream:
// the API key's client type and, on the backoffice entry point,
// isbackoffice: true.
func forwardInputs(a *Authorizer, h http.Header, d *Decision) {
	if d.ClientType != "" && !a.ctFromHeader {
		h[a.clientType] = []string{d.ClientType}
	}
	if a.boAlways {
		h[a.backoffice] = []string{"true"}
	}
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

// decisionURI returns the whole request URI (query included) that a
// decision-mode request asks about.
func decisionURI(h http.Header) string {
	if uri := first(h, "Original-Request-Uri"); uri != "" {
		return uri
	}
	return first(h, "X-Forwarded-Uri")
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

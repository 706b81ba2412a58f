package core

import (
	"net/http"
	"strings"
	"sync"
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
	// Status is the HTTP status of SPEC §4: 200 lets the request continue
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
// r (SPEC §5.1). In inline mode, when the request may continue, it rewrites
// r.URL to the canonical path (SPEC §6.1) and sets the upstream identity
// headers (SPEC §5.2). It never writes a response: call [Authorizer.Respond]
// when Continue is false.
func (a *Authorizer) Authorize(r *http.Request) Decision {
	var d Decision
	var tu User
	var terr error
	var old headerSlices
	if a.trusted != nil {
		old = headerSlices{r.Header[a.upID], r.Header[a.upGroups], r.Header[a.upProps]}
		tu, terr = a.trusted.read(r.Header)
	}
	if a.guard.strip(r.Header, a.exact) {
		terr = errBadUserHeaders
	}

	// what to decide on
	var rawPath string
	if a.decision {
		rawPath, d.Method = decisionTarget(r.Header)
		if rawPath == "" || d.Method == "" {
			return a.finish(r, d, http.StatusBadRequest, ReasonBadRequest, msgMissingTarget)
		}
	} else {
		d.Method = r.Method
		rawPath = r.URL.EscapedPath()
	}
	p, err := CanonicalPath(rawPath)
	if err != nil {
		return a.finish(r, d, http.StatusBadRequest, ReasonBadRequest, msgBadPath)
	}
	d.Path = p
	if terr != nil {
		return a.finish(r, d, http.StatusBadRequest, ReasonBadRequest, msgBadUserHeaders)
	}
	backoffice := isTrue(r.Header[a.backoffice])

	// who is calling
	switch {
	case a.trusted != nil:
		d.User = tu
	case a.ident != nil:
		u, err := a.ident.identify(r, backoffice)
		if err != nil {
			return a.finish(r, d, http.StatusUnauthorized, ReasonInvalidToken, msgInvalidToken)
		}
		d.User = u
	}

	// which rule, and does it hold
	az := a.rules.lookup(p, d.Method, backoffice)
	if az == nil {
		return a.complete(r, d, a.deny(http.StatusUnauthorized), ReasonRouteNotFound, msgRouteNotFound, old)
	}
	d.Route = az.route
	anonymous := d.User.ID == ""
	if !az.public && anonymous {
		return a.complete(r, d, a.deny(http.StatusUnauthorized), ReasonUnauthenticated, msgUnauthenticated, old)
	}
	clientType := ""
	if v := r.Header[a.clientType]; len(v) > 0 {
		clientType = v[0]
	}
	if !eval(az.expr, &d.User, clientType, backoffice) {
		if anonymous {
			return a.complete(r, d, a.deny(http.StatusUnauthorized), ReasonUnauthenticated, msgUnauthenticated, old)
		}
		return a.complete(r, d, a.deny(http.StatusForbidden), ReasonForbidden, msgForbidden, old)
	}
	d.Allowed = true
	return a.complete(r, d, http.StatusOK, ReasonAllowed, "", old)
}

// deny maps a denial to its status: itself when strict, 200 otherwise.
func (a *Authorizer) deny(status int) int {
	if a.strict {
		return status
	}
	return http.StatusOK
}

func (a *Authorizer) finish(r *http.Request, d Decision, status int, reason, msg string) Decision {
	return a.complete(r, d, status, reason, msg, headerSlices{})
}

// headerSlices are the value slices of the trusted identity headers, reused
// for the upstream headers to save allocations.
type headerSlices struct{ id, groups, props []string }

// envPool recycles expression environments: Eval is an indirect call, so an
// Env on the stack would escape and cost an allocation per request.
var envPool = sync.Pool{New: func() any { return new(evalScratch) }}

type evalScratch struct {
	env  Env
	user User
}

// eval runs expr for user without allocating.
func eval(expr *Expression, user *User, clientType string, backoffice bool) bool {
	s := envPool.Get().(*evalScratch)
	s.user = *user
	s.env = Env{User: &s.user, ClientType: clientType, IsBackoffice: backoffice}
	ok := expr.Eval(&s.env)
	s.user = User{}
	s.env = Env{}
	envPool.Put(s)
	return ok
}

// complete completes d and, inline, prepares the request for upstream.
// old holds the backing arrays of the trusted headers, reused to avoid
// allocations.
func (a *Authorizer) complete(r *http.Request, d Decision, status int, reason, msg string, old headerSlices) Decision {
	d.Status = status
	d.Reason = reason
	d.message = msg
	if status != http.StatusOK || a.decision {
		return d
	}
	d.Continue = true
	// forward the canonical path (SPEC §6.1)
	if r.URL.Path != d.Path || r.URL.RawPath != "" {
		r.URL.Path = d.Path
		r.URL.RawPath = ""
		// Traefik's proxy builds the upstream URL from RequestURI, Caddy's
		// from URL: keep both on the path that was authorized.
		if r.RequestURI != "" {
			r.RequestURI = r.URL.RequestURI()
		}
	}
	if !d.User.Anonymous() {
		setHeader(r.Header, a.upID, d.User.ID, old.id)
		setHeader(r.Header, a.upGroups, joinGroups(d.User.Groups), old.groups)
		setHeader(r.Header, a.upProps, propertiesJSON(d.User.Properties, a.propsToProxy), old.props)
	}
	if !a.strict {
		r.Header[canonAllowed] = allowedValue(d.Allowed)
	}
	return d
}

// decisionTarget returns the escaped path (query removed) and method that a
// decision-mode request asks about (SPEC §1).
func decisionTarget(h http.Header) (string, string) {
	uri, method := first(h, "Original-Request-Uri"), first(h, "Original-Request-Method")
	if uri == "" {
		uri, method = first(h, "X-Forwarded-Uri"), first(h, "X-Forwarded-Method")
	}
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
	return uri, method
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

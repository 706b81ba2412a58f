package core

import (
	"errors"
	"net/http"
)

// identitySource resolves the caller of a request. It returns the
// zero User for an anonymous caller. A non-nil error is one of the sentinel
// errors below and decides the status, strict mode or not.
type identitySource interface {
	identify(r *http.Request, backoffice bool) (User, error)
}

var (
	// errInvalidToken: a present but invalid JWT → 401 with
	// WWW-Authenticate: Bearer error="invalid_token".
	errInvalidToken = errors.New("invalid token")
	// errBadUserHeaders: unusable trusted identity headers → 400.
	errBadUserHeaders = errors.New("invalid user headers")
)

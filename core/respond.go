package core

import (
	"net/http"
	"strconv"
)

// Messages of denial bodies: they never name rules or credentials.
const (
	msgRouteNotFound   = "No authorization rule covers this route"
	msgUnauthenticated = "You must be authenticated to access this resource"
	msgForbidden       = "You do not have the permissions to access this resource"
	msgInvalidToken    = "The access token is invalid"
	msgBadPath         = "The request path is not valid"
	msgBadUserHeaders  = "The user headers are not valid"
	msgMissingTarget   = "Original-Request-Uri and Original-Request-Method (or X-Forwarded-Uri and X-Forwarded-Method) are required"
	msgInvalidAPIKey   = "The client key is not valid"
	msgNoDecision      = "The request was not decided"
	msgConflicting     = "Original-Request-Uri and -Method name another request than X-Forwarded-Uri and -Method"
)

// Respond writes the answer for a decision whose Continue is false: in
// decision mode the mia-* headers and the status, inline a
// denial. Non-200 answers carry a JSON body.
func (a *Authorizer) Respond(w http.ResponseWriter, d *Decision) {
	if d == nil || d.Status < 200 {
		// not a Decision from Authorize: fail closed
		WriteError(w, http.StatusInternalServerError, msgNoDecision)
		return
	}
	if a.decision {
		decisionHeaders(a, w.Header(), d)
	}
	if d.Status == http.StatusOK {
		w.WriteHeader(http.StatusOK)
		return
	}
	if d.Status == http.StatusFound {
		h := w.Header()
		h["Location"] = []string{d.message}
		h["Cache-Control"] = []string{"no-store"}
		w.WriteHeader(http.StatusFound)
		return
	}
	if d.Reason == ReasonInvalidToken {
		w.Header().Set("Www-Authenticate", `Bearer error="invalid_token"`)
	}
	WriteError(w, d.Status, d.message)
}

// decisionHeaders sets the mia-* answer headers of decision mode.
func decisionHeaders(a *Authorizer, h http.Header, d *Decision) {
	h[canonAllowed] = allowedValue(d.Allowed)
	if d.User.Anonymous() {
		h[canonUserID] = []string{""}
		h[canonGroups] = []string{""}
		h[canonProperties] = []string{""}
		return
	}
	up := upstreamOf(&a.props, &d.User)
	h[canonUserID] = []string{d.User.ID}
	h[canonGroups] = []string{up.groups}
	h[canonProperties] = []string{up.props}
}

// WriteError writes the JSON error body of a denial:
// {"statusCode":403,"error":"Forbidden","message":"..."}.
func WriteError(w http.ResponseWriter, status int, message string) {
	e, ok := errorBodies[message]
	if !ok || e.status != status {
		if status < 100 || status > 999 {
			status = http.StatusInternalServerError
		}
		e = newErrorBody(status, message)
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	h["Content-Length"] = []string{e.length}
	w.WriteHeader(status)
	w.Write(e.body)
}

// errorBody is a ready JSON error body and its Content-Length.
type errorBody struct {
	status int
	length string
	body   []byte // shared: writers must not modify it (io.Writer)
}

func newErrorBody(status int, message string) errorBody {
	body := `{"statusCode":` + strconv.Itoa(status) + `,"error":` + quote(http.StatusText(status)) +
		`,"message":` + quote(message) + "}"
	return errorBody{status: status, length: strconv.Itoa(len(body)), body: []byte(body)}
}

// errorBodies are the bodies of the denials, built once: under yaegi
// encoding one costs several reflective calls.
var errorBodies = newErrorBodies()

func newErrorBodies() map[string]errorBody {
	m := map[string]errorBody{}
	list := []struct {
		status int
		msg    string
	}{
		{http.StatusUnauthorized, msgRouteNotFound},
		{http.StatusUnauthorized, msgUnauthenticated},
		{http.StatusForbidden, msgForbidden},
		{http.StatusUnauthorized, msgInvalidToken},
		{http.StatusBadRequest, msgBadPath},
		{http.StatusBadRequest, msgBadUserHeaders},
		{http.StatusBadRequest, msgMissingTarget},
		{http.StatusUnauthorized, msgInvalidAPIKey},
		{http.StatusBadRequest, msgConflicting},
		{http.StatusInternalServerError, msgNoDecision},
	}
	for i := 0; i < len(list); i++ {
		m[list[i].msg] = newErrorBody(list[i].status, list[i].msg)
	}
	return m
}

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
)

// Respond writes the answer for a decision whose Continue is false: in
// decision mode the mia-* headers (SPEC §5.3) and the status, inline a
// denial. Non-200 answers carry a JSON body (SPEC §4).
func (a *Authorizer) Respond(w http.ResponseWriter, d *Decision) {
	h := w.Header()
	if a.decision {
		h[canonAllowed] = allowedValue(d.Allowed)
		if d.User.Anonymous() {
			h[canonUserID] = []string{""}
			h[canonGroups] = []string{""}
			h[canonProperties] = []string{""}
		} else {
			h[canonUserID] = []string{d.User.ID}
			h[canonGroups] = []string{joinGroups(d.User.Groups)}
			h[canonProperties] = []string{propertiesJSON(d.User.Properties, a.propsToProxy)}
		}
	}
	if d.Status == http.StatusOK {
		w.WriteHeader(http.StatusOK)
		return
	}
	if d.Reason == ReasonInvalidToken {
		h.Set("Www-Authenticate", `Bearer error="invalid_token"`)
	}
	WriteError(w, d.Status, d.message)
}

// WriteError writes the JSON error body of SPEC §4:
// {"statusCode":403,"error":"Forbidden","message":"..."}.
func WriteError(w http.ResponseWriter, status int, message string) {
	body := `{"statusCode":` + strconv.Itoa(status) + `,"error":` + quote(http.StatusText(status)) +
		`,"message":` + quote(message) + "}"
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write([]byte(body))
}

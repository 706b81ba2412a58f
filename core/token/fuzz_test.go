package token

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzTokenEndpoint: any body and Authorization header give one of the
// statuses 200, 400 or 401 with a JSON body and no-store, never a panic.
func FuzzTokenEndpoint(f *testing.F) {
	cfg := DefaultConfig()
	cfg.Clients = []Client{{ID: "svc", Secret: "secret", Scopes: []string{"read", "write"}}}
	iss, err := NewIssuer(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=svc&client_secret=secret", "")
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials&scope=read", "Basic c3ZjOnNlY3JldA==")
	f.Add("application/json", `{"grant_type":"client_credentials","client_id":"svc","client_secret":"secret"}`, "")
	f.Add("application/json", `{"grant_type":1,"grant_type":2}`, "Basic !!")
	f.Add("text/plain", "%zz&&==;", "Bearer x")
	f.Fuzz(func(t *testing.T, ct, body, auth string) {
		r := httptest.NewRequest("POST", DefaultTokenPath, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		if !iss.ServeHTTP(w, r) {
			t.Fatal("not handled")
		}
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized:
		default:
			t.Fatalf("status %d", w.Code)
		}
		if w.Header().Get("Cache-Control") != "no-store" || !strings.HasPrefix(w.Body.String(), "{") {
			t.Fatalf("headers %v body %q", w.Header(), w.Body.String())
		}
		if strings.Contains(w.Body.String(), "secret\"") {
			t.Fatal("secret in the body")
		}
	})
}

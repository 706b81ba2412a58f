package token

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzTokenEndpoint: any body and Authorization header give one of the
// statuses 200, 400 or 401 with a JSON body and no-store, never a panic.
func FuzzTokenEndpoint(f *testing.F) {
	cfg := DefaultConfig()
	cfg.Clients = []Client{{ID: "svc", Secret: "secret", Scopes: []string{"read", "write"}}}
	cfg.MaxFailures = -1 // every input comes from one address
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

// FuzzTokenParams: the parameter parser of the token endpoint, on any
// body and content type, never panics; a form body it accepts gives each
// parameter exactly its one non-empty value, and a repeated parameter is
// always refused.
func FuzzTokenParams(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=svc&client_secret=s%2Bx%3A")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "scope=a+b&scope=c")
	f.Add("application/x-www-form-urlencoded", "grant_type=&client_id=a&=x&%zz")
	f.Add("Application/JSON", `{"grant_type":"client_credentials","scope":["a"]}`)
	f.Add("application/json", `{"client_id":"a","client_id":"b"}`)
	f.Add("application/json", `{"grant_type":null} trailing`)
	f.Add("text/plain", "grant_type=client_credentials")
	f.Fuzz(func(t *testing.T, ct, body string) {
		r := httptest.NewRequest("POST", DefaultTokenPath, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		p, desc := tokenParams(r)
		if (p == nil) == (desc == "") {
			t.Fatalf("params %v with description %q", p, desc)
		}
		if p == nil || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/x-www-form-urlencoded") {
			return
		}
		vals, err := url.ParseQuery(body)
		if err != nil {
			t.Fatalf("accepted a body ParseQuery refuses: %v", err)
		}
		for k, vs := range vals {
			if len(vs) != 1 {
				t.Fatalf("repeated %q accepted", k)
			}
			if got, ok := p[k]; ok != (vs[0] != "") || got != vs[0] && ok {
				t.Fatalf("%q = %q (%v), form says %q", k, got, ok, vs[0])
			}
		}
	})
}

// FuzzTokenBasic: HTTP Basic client credentials never panic, and the
// credentials a client form-encodes (RFC 6749 §2.3.1) come back unchanged.
func FuzzTokenBasic(f *testing.F) {
	f.Add("svc", "s:e+c%r t")
	f.Add("a:b", "")
	f.Add("", "x")
	f.Add("caf\u00e9", "\x00")
	f.Fuzz(func(t *testing.T, id, secret string) {
		tokenBasic(id)     // arbitrary header value
		tokenBasic(secret) // same
		h := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
		gotID, gotSecret, ok := tokenBasic(h)
		if ok != (id != "") {
			t.Fatalf("ok %v for id %q", ok, id)
		}
		if ok && (gotID != id || gotSecret != secret) {
			t.Fatalf("(%q, %q) came back as (%q, %q)", id, secret, gotID, gotSecret)
		}
	})
}

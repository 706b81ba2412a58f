package core

import (
	"net/http"
	"net/url"
	"testing"
)

// BenchmarkDecisionTrusted measures one whole inline decision with trusted
// headers: anti-spoofing, header parsing, canonical path, rule lookup,
// expression, upstream headers. The request is rebuilt from a template
// each round without allocating, so that only Authorize is measured.
func BenchmarkDecisionTrusted(b *testing.B) {
	cfg := DefaultConfig()
	cfg.TrustUserHeaders = true
	cfg.RulesJSON = miaExample
	a, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	u := &url.URL{Path: "/users/7"}
	r := &http.Request{Method: "GET", URL: u, Header: http.Header{}}
	id := []string{"u1"}
	groups := []string{"admin"}
	auth := []string{"Bearer x"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h := r.Header
		for k := range h {
			delete(h, k)
		}
		h["Miauserid"] = id
		h["Miausergroups"] = groups
		h["Authorization"] = auth
		u.Path = "/users/7"
		d := a.Authorize(r)
		if !d.Continue {
			b.Fatal("denied")
		}
	}
}

package core

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// newHopAuthorizer is a trust-mode Authorizer with renamed identity,
// client-type and backoffice headers, so that both the default and the
// configured names are covered.
func newHopAuthorizer(t *testing.T) *Authorizer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Strict = false
	cfg.UseridHeader = "x-user-id"
	cfg.ClientTypeHeader = "x-client"
	cfg.BackofficeHeader = "x-bo"
	cfg.RulesJSON = `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestConnectionTokens: a Connection token naming a header aclgate emits
// would make the next hop drop it; such tokens are removed, the others
// kept, and an emptied Connection header is dropped.
func TestConnectionTokens(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want []string // nil: no Connection header
	}{
		{"keep-alive untouched", []string{"keep-alive"}, []string{"keep-alive"}},
		{"close untouched", []string{"close"}, []string{"close"}},
		{"other tokens untouched", []string{"Upgrade, X-Foo"}, []string{"Upgrade, X-Foo"}},
		{"identity header", []string{"miauserid"}, nil},
		{"mia-allowed", []string{"Mia-Allowed"}, nil},
		{"every emitted name", []string{"Miauserid, miausergroups,MIAUSERPROPERTIES", "mia-userid , mia-groups", "mia-userproperties"}, nil},
		{"aliases", []string{"mia_allowed, Mia.UserId"}, nil},
		{"configured names", []string{"X-User-Id, x_client, X-Bo"}, nil},
		{"mixed", []string{"keep-alive, miauserid, Upgrade"}, []string{"keep-alive, Upgrade"}},
		{"mixed over two values", []string{"miausergroups", "keep-alive"}, []string{"keep-alive"}},
		{"empty tokens", []string{" , miauserid ,, "}, nil},
		{"tabs", []string{"\tmia-allowed\t,\tclose"}, []string{"close"}},
	}
	a := newHopAuthorizer(t)
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Connection"] = append([]string(nil), tc.in...)
		d := a.Authorize(r)
		if !d.Continue {
			t.Fatalf("%s: denied", tc.name)
		}
		got := r.Header["Connection"]
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Connection %q; want %q", tc.name, got, tc.want)
		}
		if r.Header.Get("Mia-Allowed") != "1" {
			t.Errorf("%s: mia-allowed %q", tc.name, r.Header.Get("Mia-Allowed"))
		}
	}
}

// TestTrailerNames: request trailers named like a header aclgate emits
// never reach the upstream: announced ones are removed from r.Trailer and
// from a Trailer header, and those that arrive with the body are removed
// when the body has been read.
func TestTrailerNames(t *testing.T) {
	a := newHopAuthorizer(t)

	// announced: r.Trailer keys and the Trailer header
	r := httptest.NewRequest("POST", "/", strings.NewReader("x"))
	r.Trailer = http.Header{"Miauserid": nil, "Mia_allowed": nil, "X-Client": nil, "X-Checksum": nil}
	r.Header["Trailer"] = []string{"Miauserid, X-Checksum", "mia-allowed"}
	if d := a.Authorize(r); !d.Continue {
		t.Fatal("denied")
	}
	if want := (http.Header{"X-Checksum": nil}); !reflect.DeepEqual(r.Trailer, want) {
		t.Errorf("announced trailers %v; want %v", r.Trailer, want)
	}
	if got := r.Header["Trailer"]; !reflect.DeepEqual(got, []string{"X-Checksum"}) {
		t.Errorf("Trailer header %q", got)
	}

	// sent with a chunked body (declared or not), through a real server
	var seen http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := a.Authorize(r); !d.Continue {
			t.Error("denied")
		}
		body, _ = io.ReadAll(r.Body)
		seen = r.Trailer.Clone()
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: Miauserid, X-Checksum\r\nConnection: close\r\n\r\n"+
		"3\r\nabc\r\n0\r\nMiauserid: evil\r\nMiausergroups: admin\r\nX-Bo: 1\r\nX-Checksum: ok\r\n\r\n")
	io.Copy(io.Discard, conn)
	if !bytes.Equal(body, []byte("abc")) {
		t.Errorf("body %q", body)
	}
	if want := (http.Header{"X-Checksum": {"ok"}}); !reflect.DeepEqual(seen, want) {
		t.Errorf("trailers after the body %v; want %v", seen, want)
	}
}

// TestOverrideHeadersRemoved: headers that make some frameworks act on
// another method or path than the one authorized are removed, in every
// spelling; others are kept.
func TestOverrideHeadersRemoved(t *testing.T) {
	a := newHopAuthorizer(t)
	names := []string{"X-Http-Method-Override", "X-HTTP-Method-Override", "x_http_method_override", "X-Http-Method",
		"X-Method-Override", "X-Original-Url", "X-ORIGINAL-URL", "x.original.url", "X-Rewrite-Url", "X_Rewrite_URL"}
	r := httptest.NewRequest("POST", "/", nil)
	for i := 0; i < len(names); i++ {
		r.Header[names[i]] = []string{"DELETE"}
	}
	r.Header["X-Forwarded-Proto"] = []string{"https"}
	r.Header["X-Original-Urls"] = []string{"kept"}
	if d := a.Authorize(r); !d.Continue {
		t.Fatal("denied")
	}
	for i := 0; i < len(names); i++ {
		if _, ok := r.Header[names[i]]; ok {
			t.Errorf("%s survived", names[i])
		}
	}
	if r.Header.Get("X-Forwarded-Proto") != "https" || r.Header.Get("X-Original-Urls") != "kept" {
		t.Errorf("other headers lost: %v", r.Header)
	}
}

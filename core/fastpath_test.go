package core

import (
	"math/rand"
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// TestIsCanonicalMatchesLoop checks the stdlib-based isCanonical against
// the byte loop it replaces, on every short path over a small alphabet and
// on random longer ones.
func TestIsCanonicalMatchesLoop(t *testing.T) {
	alphabet := []byte{'/', '.', 'a', '%', '\\', ';', 0x00, 0x1f, 0x7f, ' ', 0x80}
	var gen func(p []byte, depth int)
	gen = func(p []byte, depth int) {
		if got, want := isCanonical(string(p)), isCanonicalLoop(string(p)); got != want {
			t.Fatalf("isCanonical(%q) = %v, loop says %v", p, got, want)
		}
		if depth == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			gen(append(p, alphabet[i]), depth-1)
		}
	}
	gen([]byte{'/'}, 5)
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		b := []byte{'/'}
		n := r.Intn(40)
		for j := 0; j < n; j++ {
			b = append(b, alphabet[r.Intn(len(alphabet))])
		}
		if got, want := isCanonical(string(b)), isCanonicalLoop(string(b)); got != want {
			t.Fatalf("isCanonical(%q) = %v, loop says %v", b, got, want)
		}
	}
}

// isCanonicalLoop is the byte loop that isCanonical replaced: the reference.
func isCanonicalLoop(p string) bool {
	segStart := 1
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			n := i - segStart
			if n == 0 && i < len(p) {
				return false // "//"
			}
			if n == 1 && p[segStart] == '.' {
				return false
			}
			if n == 2 && p[segStart] == '.' && p[segStart+1] == '.' {
				return false
			}
			segStart = i + 1
			continue
		}
		c := p[i]
		if c == '%' || c == ';' || c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

// TestAuthorizeAllocations guards the compiled request path: the Decision
// and the expression Env stay on the stack (a pointer into them reaching
// the heap, e.g. through an interface, costs a 176-byte allocation per
// request), a public request allocates nothing, and a trusted one only
// its groups and the properties header value it did not bring.
func TestAuthorizeAllocations(t *testing.T) {
	if interpreted() {
		t.Skip("allocation counts are meaningless under yaegi")
	}
	cfg := DefaultConfig()
	cfg.TrustUserHeaders = true
	cfg.RulesJSON = `{"/": {"GET": {"authorization": {"expression": "true", "public": true}}},
		"/users/": {"ALL": {"authorization": {"expression": "groups.admin || permissions[\"users:read\"]", "public": false}}}}`
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	u := &url.URL{Path: "/"}
	r := &http.Request{Method: "GET", URL: u, Header: http.Header{}}
	id, groups := []string{"u1"}, []string{"admin"}
	cases := []struct {
		name string
		path string
		user bool
		max  float64
	}{
		{"public", "/", false, 0},
		{"trusted", "/users/7", true, 2},
	}
	for _, c := range cases {
		n := testing.AllocsPerRun(200, func() {
			for k := range r.Header {
				delete(r.Header, k)
			}
			if c.user {
				r.Header["Miauserid"] = id
				r.Header["Miausergroups"] = groups
			}
			u.Path = c.path
			if d := a.Authorize(r); !d.Continue {
				t.Fatal("denied")
			}
		})
		if n > c.max {
			t.Errorf("%s: %v allocations per Authorize, want at most %v", c.name, n, c.max)
		}
	}
}

// interpreted reports whether the tests run under yaegi, where interpreted
// types have no name and allocation counts mean nothing.
func interpreted() bool {
	return reflect.TypeOf(Decision{}).Name() == ""
}

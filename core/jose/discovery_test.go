package jose

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// jtOIDCServer serves an OpenID configuration at /.well-known/openid-configuration
// and a JWKS at /keys. issuer is the issuer it names ("" → its own URL).
type jtOIDCServer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	issuer string
	jwks   []byte
	docs   int
}

func jtNewOIDCServer(t *testing.T, jwks []byte) *jtOIDCServer {
	s := &jtOIDCServer{jwks: jwks}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		iss, keys := s.issuer, s.jwks
		if r.URL.Path == WellKnownOpenID {
			s.docs++
		}
		s.mu.Unlock()
		if iss == "" {
			iss = s.srv.URL
		}
		switch r.URL.Path {
		case WellKnownOpenID:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"issuer":"` + iss + `","jwks_uri":"` + s.srv.URL + `/keys","token_endpoint":"` + s.srv.URL + `/token"}`))
		case "/keys":
			w.Write(keys)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func TestDiscoveryConfigErrors(t *testing.T) {
	cases := []struct {
		name, url, issuer, want string
	}{
		{"relative", "/.well-known/openid-configuration", "", "must be an absolute http or https URL"},
		{"ftp", "ftp://idp.example/.well-known/openid-configuration", "", "must be an absolute http or https URL"},
		{"user info", "https://u:p@idp.example/.well-known/openid-configuration", "", "must not hold user info"},
		{"no suffix without issuer", "https://idp.example/openid", "", "set issuer"},
		{"with jwks_url", "https://idp.example/.well-known/openid-configuration", "", "are exclusive"},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			cfg := jtDefault()
			cfg.DiscoveryURL = tc.url
			cfg.Issuer = tc.issuer
			if tc.name == "with jwks_url" {
				cfg.JWKSURL = "https://idp.example/keys"
			}
			_, err := NewVerifier(context.Background(), cfg, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "u:p@") {
				t.Fatalf("error shows user info: %v", err)
			}
		})
	}
}

func TestDiscoveryIssuerDerived(t *testing.T) {
	cases := []struct{ url, issuer, want string }{
		{"https://idp.example/realms/staff/.well-known/openid-configuration", "", "https://idp.example/realms/staff"},
		{"https://idp.example/.well-known/openid-configuration", "", "https://idp.example"},
		{"https://idp.example/custom", "https://idp.example/x", "https://idp.example/x"},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		_, iss, err := discoveryConfig(tc.url, tc.issuer)
		if err != nil || iss != tc.want {
			t.Errorf("discoveryConfig(%q, %q) = %q, %v; want %q", tc.url, tc.issuer, iss, err, tc.want)
		}
	}
}

func TestDiscoveryDocument(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"ok", `{"issuer":"https://i","jwks_uri":"https://i/keys"}`, ""},
		{"issuer mismatch", `{"issuer":"https://evil","jwks_uri":"https://i/keys"}`, `names issuer "https://evil", not "https://i"`},
		{"no issuer", `{"jwks_uri":"https://i/keys"}`, "names issuer"},
		{"no jwks_uri", `{"issuer":"https://i"}`, "no absolute http or https jwks_uri"},
		{"relative jwks_uri", `{"issuer":"https://i","jwks_uri":"/keys"}`, "no absolute"},
		{"not an object", `[1]`, "not a JSON object"},
		{"duplicate member", `{"issuer":"https://i","issuer":"https://i","jwks_uri":"https://i/keys"}`, "not a JSON object"},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			u, err := discoveryJWKSURI([]byte(tc.doc), "https://i")
			if tc.want == "" {
				if err != nil || u != "https://i/keys" {
					t.Fatalf("got %q, %v", u, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDiscoveryVerify(t *testing.T) {
	k := jtKeys()
	s := jtNewOIDCServer(t, jtSingleJWKS(t, "k1", &k.rsa.PublicKey))
	cfg := jtDefault()
	cfg.DiscoveryURL = s.srv.URL + WellKnownOpenID
	var warnMu sync.Mutex
	var warns []string
	v, err := newVerifierTuned(context.Background(), cfg, nil, func(m string) {
		warnMu.Lock()
		warns = append(warns, m)
		warnMu.Unlock()
	}, jtFastTuning())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	good := jtSign(t, "RS256", "k1", k.rsa, map[string]any{"sub": "a", "iss": s.srv.URL, "exp": time.Now().Add(time.Hour).Unix()}, nil)
	if _, err := Verify(v, context.Background(), good); err != nil {
		t.Fatalf("token of the discovered issuer: %v", err)
	}
	other := jtSign(t, "RS256", "k1", k.rsa, map[string]any{"sub": "a", "iss": "https://other", "exp": time.Now().Add(time.Hour).Unix()}, nil)
	if _, err := Verify(v, context.Background(), other); err != errJWTIssuer {
		t.Fatalf("token of another issuer: %v, want issuer mismatch", err)
	}
	hs := jtSign(t, "HS256", "", []byte("0123456789abcdef0123456789abcdef"), map[string]any{"sub": "a", "iss": s.srv.URL, "exp": time.Now().Add(time.Hour).Unix()}, nil)
	if _, err := Verify(v, context.Background(), hs); err == nil {
		t.Fatal("HS256 accepted with discovered keys")
	}

	// a document that names another issuer gives no keys, and a warning
	s2 := jtNewOIDCServer(t, jtSingleJWKS(t, "k1", &k.rsa.PublicKey))
	s2.issuer = "https://evil.example"
	cfg.DiscoveryURL = s2.srv.URL + WellKnownOpenID
	v2, err := newVerifierTuned(context.Background(), cfg, nil, func(m string) {
		warnMu.Lock()
		warns = append(warns, m)
		warnMu.Unlock()
	}, jtFastTuning())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v2.Close() })
	tok2 := jtSign(t, "RS256", "k1", k.rsa, map[string]any{"sub": "a", "iss": s2.srv.URL, "exp": time.Now().Add(time.Hour).Unix()}, nil)
	if _, err := Verify(v2, context.Background(), tok2); err != errJWTNoKey {
		t.Fatalf("issuer mismatch in the document: %v, want no key", err)
	}
	jtEventually(t, "a discovery warning", func() bool {
		warnMu.Lock()
		defer warnMu.Unlock()
		for i := 0; i < len(warns); i++ {
			if strings.Contains(warns[i], "discovery_url") && strings.Contains(warns[i], "evil.example") {
				return true
			}
		}
		return false
	})
}

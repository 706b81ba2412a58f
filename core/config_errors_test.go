package core

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConfigErrorMessages: every configuration error names the option, the
// value and, for list items, the position.
func TestConfigErrorMessages(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubPEM := write("pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	privPEM := write("priv.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	jwks := write("jwks.json", []byte(`{"keys":[]}`))
	ecKey, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	p224 := write("p224.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}))

	cases := []struct {
		name string
		set  func(c *Config)
		want []string
	}{
		{"userinfo_url without a host", func(c *Config) { c.UserinfoURL = "http://" },
			[]string{`userinfo_url: "http://" has no host`}},
		{"backoffice_userinfo_url without a host", func(c *Config) { c.UserinfoURL = "http://a"; c.BackofficeUserinfoURL = "https:///x" },
			[]string{`backoffice_userinfo_url: "https:///x" has no host`}},
		{"cache_ttl without userinfo", func(c *Config) { c.CacheTTL = 5 * time.Minute },
			[]string{`cache_ttl: "5m0s" caches userinfo answers, but userinfo_url is not set`}},
		{"cache_ttl with jwt", func(c *Config) {
			c.CacheTTL = time.Minute
			j := DefaultJWTConfig()
			j.PublicKeyFile = pubPEM
			c.JWT = &j
		}, []string{`cache_ttl: "1m0s"`, "userinfo_url is not set"}},
		{"headers_to_proxy bad name", func(c *Config) { c.UserinfoURL = "http://a"; c.HeadersToProxy = []string{"authorization", "bad:name"} },
			[]string{`headers_to_proxy: item 2, "bad:name", is not a valid header name`}},
		{"authorization_headers_to_proxy bad name", func(c *Config) {
			c.UserinfoURL = "http://a"
			c.AuthorizationHeadersToProxy = []string{"x y"}
		}, []string{`authorization_headers_to_proxy: item 1, "x y", is not a valid header name`}},
		{"public_key_file holds a JWKS", func(c *Config) { j := DefaultJWTConfig(); j.PublicKeyFile = jwks; c.JWT = &j },
			[]string{`public_key_file "` + jwks + `"`, "holds a JWKS (JSON), not PEM: use jwks_file"}},
		{"public_key_file holds a private key", func(c *Config) { j := DefaultJWTConfig(); j.PublicKeyFile = privPEM; c.JWT = &j },
			[]string{`public_key_file "` + privPEM + `"`, "holds a private key"}},
		{"public_key_file on an unsupported curve", func(c *Config) { j := DefaultJWTConfig(); j.PublicKeyFile = p224; c.JWT = &j },
			[]string{`public_key_file "` + p224 + `"`, "P-224"}},
		{"public_key_file missing", func(c *Config) { j := DefaultJWTConfig(); j.PublicKeyFile = filepath.Join(dir, "nope.pem"); c.JWT = &j },
			[]string{`public_key_file "` + filepath.Join(dir, "nope.pem") + `": cannot read the file: no such file or directory`}},
		{"jwks_file holds PEM", func(c *Config) { j := DefaultJWTConfig(); j.JWKSFile = pubPEM; c.JWT = &j },
			[]string{`jwks_file "` + pubPEM + `"`, `the file holds the PEM blocks "PUBLIC KEY"; a PEM public key goes in public_key_file`}},
		{"inline rule named by the adapter", func(c *Config) {
			c.Rules = []Rule{{Method: "GET", Path: "/a", Expression: "true", Public: true}, {Method: "GET", Path: "/a", Expression: "true", Name: "rules[1]"}}
		}, []string{`rules[1]: path "/a", method "GET", field "authorization": defined twice: already defined by rule[0]`}},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.set(&cfg)
			a, err := New(cfg)
			if err == nil {
				a.Close()
				t.Fatal("accepted")
			}
			for j := 0; j < len(tc.want); j++ {
				if !strings.Contains(err.Error(), tc.want[j]) {
					t.Errorf("error %q\ndoes not contain %q", err.Error(), tc.want[j])
				}
			}
		})
	}
}

// TestWarnFields: with WarnFields set, warnings arrive as a message and
// key/value fields; with Warn only, as one line. Neither holds the URL's
// query or a proxied credential.
func TestWarnFields(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	var mu sync.Mutex
	var msgs []string
	var fields [][]string
	var lines []string
	for _, structured := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.UserinfoURL = srv.URL + "/userinfo?key=secret-in-query"
		if structured {
			cfg.Hooks.WarnFields = func(msg string, f []string) {
				mu.Lock()
				msgs = append(msgs, msg)
				fields = append(fields, f)
				mu.Unlock()
			}
		}
		cfg.Hooks.Warn = func(line string) { mu.Lock(); lines = append(lines, line); mu.Unlock() }
		a, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer secret-token")
		a.Authorize(r)
		a.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(msgs) != 1 || msgs[0] != "userinfo answered an error" {
		t.Fatalf("structured warnings %q", msgs)
	}
	want := []string{"url", srv.URL + "/userinfo", "status", "503 Service Unavailable"}
	if strings.Join(fields[0], "|") != strings.Join(want, "|") {
		t.Errorf("fields %q, want %q", fields[0], want)
	}
	if len(lines) != 1 || lines[0] != `userinfo answered an error url=`+srv.URL+`/userinfo status="503 Service Unavailable"` {
		t.Errorf("lines %q", lines)
	}
	all := strings.Join(lines, " ") + strings.Join(msgs, " ")
	for i := 0; i < len(fields); i++ {
		all += strings.Join(fields[i], " ")
	}
	if strings.Contains(all, "secret") {
		t.Errorf("a credential in a warning: %s", all)
	}
}

package integration

// Per-request cost of the plugin: interpreted by yaegi (as Traefik runs
// it) vs compiled, same configuration, same request, httptest recorder.
//
//	cd integration && go test -run '^$' -bench 'Traefik' -benchmem

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aclgate/aclgate/core/jose"
	"github.com/aclgate/aclgate/traefikauthz"
	"github.com/mitchellh/mapstructure"
)

const traefikBenchRules = `{"/": {"GET": {"authorization": {"expression": "true", "public": true}}}, "/users/": {"ALL": {"authorization": {"expression": "groups.admin || permissions[\"users:read\"]", "public": false}}}}`

// traefikBenchConfs are the plugin configurations of the benchmark cases,
// by name; the identity service and the JWT key live for the whole run.
func traefikBenchConfs(b *testing.B) (map[string]map[string]any, string) {
	ui := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer u1" {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"sub":"u1","groups":["user","admin"],"email":"u1@example.com"}`))
	}))
	b.Cleanup(ui.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	pemFile := filepath.Join(b.TempDir(), "jwt.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		b.Fatal(err)
	}
	signer, err := jose.NewSigner(key)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := signer.Sign(map[string]any{"typ": "JWT"}, map[string]any{"sub": "u1", "groups": []string{"admin"},
		"aud": "api", "exp": time.Now().Add(24 * time.Hour).Unix()})
	if err != nil {
		b.Fatal(err)
	}
	confs := map[string]map[string]any{
		"trust": {
			"trustUserHeaders":      "true",
			"permissionsKey":        "permissions",
			"userPropertiesToProxy": "email",
			"rulesJson":             traefikBenchRules,
		},
		"userinfo": {
			"userinfoUrl":           ui.URL,
			"cacheTtl":              "10m",
			"userPropertiesToProxy": "email",
			"rulesJson":             traefikBenchRules,
		},
		"jwt": {
			"jwt":                   map[string]any{"publicKeyFile": pemFile, "audience": "api", "algorithms": "RS256"},
			"userPropertiesToProxy": "email",
			"rulesJson":             traefikBenchRules,
		},
	}
	return confs, tok
}

// traefikBenchConf is the trust-mode configuration (also used by other
// tests of the harness).
func traefikBenchConf() map[string]any {
	return map[string]any{
		"trustUserHeaders":      "true",
		"permissionsKey":        "permissions",
		"userPropertiesToProxy": "email",
		"rulesJson":             traefikBenchRules,
	}
}

type traefikBenchCase struct {
	name, conf, path string
	header           map[string]string
	want             int
}

func traefikBenchCases(tok string) []traefikBenchCase {
	return []traefikBenchCase{
		{"public", "trust", "/", nil, http.StatusNoContent},
		{"trusted-user", "trust", "/users/7", map[string]string{"Miauserid": "u1", "Miausergroups": "user,admin", "Miauserproperties": `{"email":"u1@example.com"}`}, http.StatusNoContent},
		{"denied", "trust", "/users/7", nil, http.StatusUnauthorized},
		{"cached-userinfo", "userinfo", "/users/7", map[string]string{"Authorization": "Bearer u1"}, http.StatusNoContent},
		{"jwt-rs256", "jwt", "/users/7", map[string]string{"Authorization": "Bearer " + tok}, http.StatusNoContent},
	}
}

// traefikBenchWriter is a ResponseWriter that keeps only the status.
type traefikBenchWriter struct {
	h    http.Header
	code int
}

func (w *traefikBenchWriter) Header() http.Header         { return w.h }
func (w *traefikBenchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *traefikBenchWriter) WriteHeader(code int)        { w.code = code }

func traefikBench(b *testing.B, build func(conf map[string]any) http.Handler) {
	confs, tok := traefikBenchConfs(b)
	handlers := map[string]http.Handler{}
	for _, c := range traefikBenchCases(tok) {
		if handlers[c.conf] == nil {
			handlers[c.conf] = build(confs[c.conf])
		}
		h := handlers[c.conf]
		b.Run(c.name, func(b *testing.B) {
			// The request is reused: in trust mode the plugin re-emits the
			// identity headers it read with the same values, so every
			// iteration sees the same request.
			r := httptest.NewRequest("GET", c.path, nil)
			for k, v := range c.header {
				r.Header[k] = []string{v}
			}
			w := &traefikBenchWriter{h: http.Header{}}
			h.ServeHTTP(w, r) // warm the caches (userinfo, token)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
			if w.code != c.want {
				b.Fatalf("status %d, want %d", w.code, c.want)
			}
		})
	}
}

func BenchmarkTraefikYaegi(b *testing.B) {
	p := yaegiLoad(b)
	traefikBench(b, func(conf map[string]any) http.Handler {
		h, _, err := p.build(context.Background(), conf, traefikNoContent(), "bench@file")
		if err != nil {
			b.Fatal(err)
		}
		return h
	})
}

func BenchmarkTraefikCompiled(b *testing.B) {
	traefikBench(b, func(conf map[string]any) http.Handler {
		// the same decoding as Traefik's: CreateConfig + mapstructure
		cfg := traefikauthz.CreateConfig()
		dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
			DecodeHook: mapstructure.StringToSliceHookFunc(","), WeaklyTypedInput: true, Result: cfg})
		if err != nil {
			b.Fatal(err)
		}
		if err := dec.Decode(conf); err != nil {
			b.Fatal(err)
		}
		h, err := traefikauthz.New(context.Background(), traefikNoContent(), cfg, "bench@file")
		if err != nil {
			b.Fatal(err)
		}
		return h
	})
}

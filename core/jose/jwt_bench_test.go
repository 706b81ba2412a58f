package jose

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkVerify measures the per-request path of the jwt identity source
// without the claims-to-user mapping: bearer extraction, decoding, one
// signature verification and the claim checks, for each algorithm family.
func BenchmarkVerify(b *testing.B) {
	k := jtKeys()
	secret := []byte("0123456789abcdef0123456789abcdef")
	claims := jtClaims(nil)
	cases := []struct {
		alg string
		key any
		cfg func(c *Config)
	}{
		{"RS256", k.rsa, func(c *Config) { c.PublicKeyFile = jtWrite(b, "k.pem", jtPublicPEM(b, &k.rsa.PublicKey)) }},
		{"PS256", k.rsa, func(c *Config) { c.PublicKeyFile = jtWrite(b, "k.pem", jtPublicPEM(b, &k.rsa.PublicKey)) }},
		{"ES256", k.ec256, func(c *Config) { c.PublicKeyFile = jtWrite(b, "k.pem", jtPublicPEM(b, &k.ec256.PublicKey)) }},
		{"EdDSA", k.ed, func(c *Config) { c.PublicKeyFile = jtWrite(b, "k.pem", jtPublicPEM(b, k.ed.Public())) }},
		{"HS256", secret, func(c *Config) { c.HMACSecret = string(secret) }},
	}
	for _, tc := range cases {
		tc := tc
		b.Run(tc.alg, func(b *testing.B) {
			cfg := jtConfig()
			tc.cfg(&cfg)
			v := jtVerifier(b, cfg)
			v.now = func() time.Time { return jtNow }
			tok := jtSign(b, tc.alg, "", tc.key, claims, nil)
			r := httptest.NewRequest("GET", "/api/users", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			if claims, err := jtBearerVerify(v, r); err != nil || claims["sub"] != "alice" {
				b.Fatalf("verify: %v", err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := jtBearerVerify(v, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseJWT measures decoding alone (no signature).
func BenchmarkParseJWT(b *testing.B) {
	tok := jtSign(b, "HS256", "k", []byte("0123456789abcdef0123456789abcdef"), jtClaims(nil), nil)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseJWT(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// jtBearerVerify verifies the bearer token of r.
func jtBearerVerify(v *Verifier, r *http.Request) (map[string]any, error) {
	tok, _ := BearerToken(r.Header)
	return Verify(v, r.Context(), tok)
}

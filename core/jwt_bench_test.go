package core

import (
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkVerify measures the per-request path of the jwt identity source:
// bearer extraction, decoding, one signature verification, claim checks
// and mapping, for each algorithm family.
func BenchmarkVerify(b *testing.B) {
	k := jtKeys()
	secret := []byte("0123456789abcdef0123456789abcdef")
	claims := jtClaims(nil)
	cases := []struct {
		alg string
		key any
		cfg func(c *JWTConfig)
	}{
		{"RS256", k.rsa, func(c *JWTConfig) { c.PublicKeyFile = jtWrite(b, "k.pem", jtPublicPEM(b, &k.rsa.PublicKey)) }},
		{"PS256", k.rsa, func(c *JWTConfig) { c.PublicKeyFile = jtWrite(b, "k.pem", jtPublicPEM(b, &k.rsa.PublicKey)) }},
		{"ES256", k.ec256, func(c *JWTConfig) { c.PublicKeyFile = jtWrite(b, "k.pem", jtPublicPEM(b, &k.ec256.PublicKey)) }},
		{"EdDSA", k.ed, func(c *JWTConfig) { c.PublicKeyFile = jtWrite(b, "k.pem", jtPublicPEM(b, k.ed.Public())) }},
		{"HS256", secret, func(c *JWTConfig) { c.HMACSecret = string(secret) }},
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
			if u, err := v.identify(r, false); err != nil || u.ID != "alice" {
				b.Fatalf("identify: %v", err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := v.identify(r, false); err != nil {
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

package jose

import (
	"context"
	"strings"
	"testing"
)

func TestIssuerSet(t *testing.T) {
	k := jtKeys()
	a := jtDefault()
	a.Issuer = "https://a.example"
	a.Audience = []string{"api-a"}
	a.PublicKeyFile = jtWrite(t, "a.pem", jtPublicPEM(t, &k.rsa.PublicKey))
	b := jtDefault()
	b.Issuer = "https://b.example"
	b.Audience = []string{"api-b"}
	b.HMACSecret = "0123456789abcdef0123456789abcdef"
	va, vb := jtVerifier(t, a), jtVerifier(t, b)
	set, err := NewIssuerSet([]*Verifier{va, vb}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	hmac := []byte(b.HMACSecret)
	cases := []struct {
		name string
		tok  string
		want error
	}{
		{"issuer a", jtSign(t, "RS256", "", k.rsa, jtClaims(map[string]any{"iss": "https://a.example", "aud": "api-a"}), nil), nil},
		{"issuer b", jtSign(t, "HS256", "", hmac, jtClaims(map[string]any{"iss": "https://b.example", "aud": "api-b"}), nil), nil},
		{"a under b's audience", jtSign(t, "RS256", "", k.rsa, jtClaims(map[string]any{"iss": "https://a.example", "aud": "api-b"}), nil), errJWTAudience},
		{"b under a's audience", jtSign(t, "HS256", "", hmac, jtClaims(map[string]any{"iss": "https://b.example", "aud": "api-a"}), nil), errJWTAudience},
		{"a's iss, b's key", jtSign(t, "HS256", "", hmac, jtClaims(map[string]any{"iss": "https://a.example", "aud": "api-a"}), nil), errJWTAlg},
		{"b's iss, a's key", jtSign(t, "RS256", "", k.rsa, jtClaims(map[string]any{"iss": "https://b.example", "aud": "api-b"}), nil), errJWTAlg},
		{"unknown iss", jtSign(t, "RS256", "", k.rsa, jtClaims(map[string]any{"iss": "https://c.example", "aud": "api-a"}), nil), errJWTIssuer},
		{"no iss", jtSign(t, "RS256", "", k.rsa, jtClaims(map[string]any{"iss": nil, "aud": "api-a"}), nil), errJWTIssuer},
		{"iss not a string", jtSign(t, "RS256", "", k.rsa, jtClaims(map[string]any{"iss": 7, "aud": "api-a"}), nil), errJWTIssuer},
		{"expired a", jtSign(t, "RS256", "", k.rsa, jtClaims(map[string]any{"iss": "https://a.example", "aud": "api-a", "exp": 1}), nil), errJWTExpired},
		{"malformed", "a.b", errJWTMalformed},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(set, context.Background(), tc.tok)
			if err != tc.want {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestIssuerSetErrors(t *testing.T) {
	mk := func(iss string) *Verifier {
		c := jtDefault()
		c.Issuer = iss
		c.HMACSecret = "0123456789abcdef0123456789abcdef"
		return jtVerifier(t, c)
	}
	cases := []struct {
		name  string
		vs    []*Verifier
		names []string
		want  string
	}{
		{"missing issuer", []*Verifier{mk("https://a"), mk("")}, nil, "jwt block 2: issuer is required"},
		{"missing issuer named", []*Verifier{mk(""), mk("https://a")}, []string{"jwt[0]", "jwt[1]"}, "jwt[0]: issuer is required"},
		{"duplicate", []*Verifier{mk("https://a"), mk("https://a")}, nil, `jwt block 2: issuer "https://a" is configured in two jwt blocks`},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewIssuerSet(tc.vs, tc.names)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

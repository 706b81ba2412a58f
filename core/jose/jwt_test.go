package jose

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test helpers of the JWT, JWKS and token tests (prefix jt: the package's
// test files share one namespace).

// jtNow is the fixed clock of the verifier tests.
var jtNow = time.Unix(1700000000, 0)

type jtKeyMaterial struct {
	rsa   *rsa.PrivateKey
	rsa2  *rsa.PrivateKey
	ec256 *ecdsa.PrivateKey
	ec384 *ecdsa.PrivateKey
	ed    ed25519.PrivateKey
}

var (
	jtKeysOnce sync.Once
	jtKeysVal  *jtKeyMaterial
)

// jtKeys returns test keys, generated once per run.
func jtKeys() *jtKeyMaterial {
	jtKeysOnce.Do(func() {
		k := &jtKeyMaterial{}
		k.rsa, _ = rsa.GenerateKey(rand.Reader, 2048)
		k.rsa2, _ = rsa.GenerateKey(rand.Reader, 2048)
		k.ec256, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		k.ec384, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		_, k.ed, _ = ed25519.GenerateKey(rand.Reader)
		jtKeysVal = k
	})
	return jtKeysVal
}

func jtB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jtJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jtSignRaw signs header.payload (already JSON text) with an independent
// implementation of the JWA algorithms, so that the production code is not
// tested against itself.
func jtSignRaw(t testing.TB, alg string, key any, header, payload string) string {
	t.Helper()
	input := jtB64([]byte(header)) + "." + jtB64([]byte(payload))
	return input + "." + jtB64(jtSignature(t, alg, key, input))
}

func jtSignature(t testing.TB, alg string, key any, input string) []byte {
	t.Helper()
	var h crypto.Hash
	switch alg[2:] {
	case "256":
		h = crypto.SHA256
	case "384":
		h = crypto.SHA384
	case "512":
		h = crypto.SHA512
	}
	if alg == "EdDSA" {
		k, _ := key.(ed25519.PrivateKey)
		return ed25519.Sign(k, []byte(input))
	}
	if strings.HasPrefix(alg, "HS") {
		secret, _ := key.([]byte)
		mac := hmac.New(h.New, secret)
		mac.Write([]byte(input))
		return mac.Sum(nil)
	}
	hh := h.New()
	hh.Write([]byte(input))
	digest := hh.Sum(nil)
	var sig []byte
	var err error
	if strings.HasPrefix(alg, "RS") {
		k, _ := key.(*rsa.PrivateKey)
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, h, digest)
	} else if strings.HasPrefix(alg, "PS") {
		k, _ := key.(*rsa.PrivateKey)
		sig, err = rsa.SignPSS(rand.Reader, k, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	} else if strings.HasPrefix(alg, "ES") {
		k, _ := key.(*ecdsa.PrivateKey)
		size := (k.Curve.Params().BitSize + 7) / 8
		r, s, serr := ecdsa.Sign(rand.Reader, k, digest)
		err = serr
		if err == nil {
			sig = make([]byte, 2*size)
			r.FillBytes(sig[:size])
			s.FillBytes(sig[size:])
		}
	} else {
		t.Fatalf("jtSignature: unknown alg %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// jtSign signs claims with a header {"alg": alg, "kid": kid (if any)} plus extra.
func jtSign(t testing.TB, alg, kid string, key any, claims map[string]any, extra map[string]any) string {
	t.Helper()
	header := map[string]any{"alg": alg}
	if kid != "" {
		header["kid"] = kid
	}
	for k, v := range extra {
		header[k] = v
	}
	return jtSignRaw(t, alg, key, jtJSON(t, header), jtJSON(t, claims))
}

// jtClaims returns valid claims at jtNow, with changes applied (a nil value
// deletes the claim).
func jtClaims(changes map[string]any) map[string]any {
	now := jtNow.Unix()
	c := map[string]any{
		"sub":         "alice",
		"iss":         "https://issuer.example",
		"aud":         "api",
		"exp":         now + 3600,
		"iat":         now,
		"nbf":         now,
		"groups":      []string{"admin", "ops"},
		"permissions": []string{"users:read"},
	}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// jtWrite writes a file into a temporary directory.
func jtWrite(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// jtPublicPEM encodes a public key as a PKIX PEM block.
func jtPublicPEM(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// jtPublicJWKS is a JWKS with all test public keys, kids "rsa", "rsa2",
// "ec256", "ec384", "ed".
func jtPublicJWKS(t testing.TB) []byte {
	t.Helper()
	k := jtKeys()
	pubs := []any{&k.rsa.PublicKey, &k.rsa2.PublicKey, &k.ec256.PublicKey, &k.ec384.PublicKey, k.ed.Public()}
	kids := []string{"rsa", "rsa2", "ec256", "ec384", "ed"}
	var keys []*Key
	for i := 0; i < len(pubs); i++ {
		jk, err := jwsKeyFromPublic(pubs[i])
		if err != nil {
			t.Fatal(err)
		}
		jk.kid = kids[i]
		keys = append(keys, jk)
	}
	return JWKSDocument(keys)
}

// jtDefault is the verifier config of the product's jwt option defaults.
func jtDefault() Config {
	return Config{Leeway: 30 * time.Second}
}

// jtConfig is the JWT config of the verifier tests.
func jtConfig() Config {
	c := jtDefault()
	c.Issuer = "https://issuer.example"
	c.Audience = []string{"api", "other-api"}
	return c
}

// jtVerifier builds a verifier with a fixed clock.
func jtVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	v, err := NewVerifier(context.Background(), cfg, nil, nil)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	v.now = func() time.Time { return jtNow }
	return v
}

// jtJWKSVerifier verifies with the test JWKS (as a jwks_file).
func jtJWKSVerifier(t testing.TB) *Verifier {
	t.Helper()
	cfg := jtConfig()
	cfg.JWKSFile = jtWrite(t, "jwks.json", jtPublicJWKS(t))
	return jtVerifier(t, cfg)
}

func TestJWTVerifyAlgorithms(t *testing.T) {
	k := jtKeys()
	v := jtJWKSVerifier(t)
	cases := []struct {
		alg, kid string
		key      any
	}{
		{"RS256", "rsa", k.rsa}, {"RS384", "rsa", k.rsa}, {"RS512", "rsa2", k.rsa2},
		{"PS256", "rsa", k.rsa}, {"PS384", "rsa2", k.rsa2}, {"PS512", "rsa", k.rsa},
		{"ES256", "ec256", k.ec256}, {"ES384", "ec384", k.ec384}, {"EdDSA", "ed", k.ed},
		// no kid: every key that fits the algorithm is tried
		{"RS256", "", k.rsa2}, {"ES256", "", k.ec256}, {"EdDSA", "", k.ed},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.alg+"/"+tc.kid, func(t *testing.T) {
			tok := jtSign(t, tc.alg, tc.kid, tc.key, jtClaims(nil), nil)
			claims, err := Verify(v, context.Background(), tok)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if claims["sub"] != "alice" {
				t.Fatalf("claims = %v", claims)
			}
		})
	}
}

func TestJWTVerifyRejects(t *testing.T) {
	k := jtKeys()
	v := jtJWKSVerifier(t)
	now := jtNow.Unix()
	valid := jtSign(t, "RS256", "rsa", k.rsa, jtClaims(nil), nil)
	parts := strings.Split(valid, ".")
	claimsJSON := jtJSON(t, jtClaims(nil))
	attacker, _ := rsa.GenerateKey(rand.Reader, 2048)
	attackerJWK := map[string]any{"kty": "RSA", "n": jtB64(attacker.N.Bytes()), "e": "AQAB"}
	rsaPEM := jtPublicPEM(t, &k.rsa.PublicKey)
	// A signature whose last base64url character carries stray bits.
	sigBytes, _ := base64.RawURLEncoding.DecodeString(parts[2])
	nonCanonical := parts[0] + "." + parts[1] + "." + jtNonCanonical(sigBytes)

	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"alg none with empty signature", jtB64([]byte(`{"alg":"none"}`)) + "." + jtB64([]byte(claimsJSON)) + ".", errJWTMalformed},
		{"alg none with a signature", jtB64([]byte(`{"alg":"none"}`)) + "." + jtB64([]byte(claimsJSON)) + "." + parts[2], errJWTAlgNone},
		{"alg NONE", jtB64([]byte(`{"alg":"NONE"}`)) + "." + jtB64([]byte(claimsJSON)) + "." + parts[2], errJWTAlgNone},
		{"HS256 keyed with the RSA public key", jtSign(t, "HS256", "rsa", rsaPEM, jtClaims(nil), nil), errJWTAlg},
		{"HS256 keyed with the RSA public key, no kid", jtSign(t, "HS256", "", rsaPEM, jtClaims(nil), nil), errJWTAlg},
		{"unknown alg", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS257","kid":"rsa"}`, claimsJSON), errJWTAlg},
		{"RS256 with the kid of an EC key", jtSign(t, "RS256", "ec256", k.rsa, jtClaims(nil), nil), errJWTNoKey},
		{"ES256 with the kid of the P-384 key", jtSign(t, "ES256", "ec384", k.ec256, jtClaims(nil), nil), errJWTNoKey},
		{"ES384 with the kid of the P-256 key", jtSign(t, "ES384", "ec256", k.ec384, jtClaims(nil), nil), errJWTNoKey},
		{"EdDSA with the kid of an RSA key", jtSign(t, "EdDSA", "rsa", k.ed, jtClaims(nil), nil), errJWTNoKey},
		{"signed by the other RSA key", jtSign(t, "RS256", "rsa", k.rsa2, jtClaims(nil), nil), errJWTSignature},
		{"unknown kid", jtSign(t, "RS256", "nope", k.rsa, jtClaims(nil), nil), errJWTNoKey},
		{"kid path traversal", jtSign(t, "RS256", "../../etc/passwd", k.rsa, jtClaims(nil), nil), errJWTNoKey},
		{"kid SQL injection", jtSign(t, "RS256", "' OR 1=1 --", k.rsa, jtClaims(nil), nil), errJWTNoKey},
		{"kid very long", jtSign(t, "RS256", strings.Repeat("k", 8000), k.rsa, jtClaims(nil), nil), errJWTNoKey},
		{"kid not a string", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS256","kid":7}`, claimsJSON), errJWTHeader},
		{"embedded jwk is ignored", jtSign(t, "RS256", "", attacker, jtClaims(nil), map[string]any{"jwk": attackerJWK}), errJWTSignature},
		{"jku is ignored", jtSign(t, "RS256", "", attacker, jtClaims(nil), map[string]any{"jku": "http://127.0.0.1:1/jwks"}), errJWTSignature},
		{"x5u is ignored", jtSign(t, "RS256", "", attacker, jtClaims(nil), map[string]any{"x5u": "http://127.0.0.1:1/cert"}), errJWTSignature},
		{"tampered payload", parts[0] + "." + jtB64([]byte(jtJSON(t, jtClaims(map[string]any{"sub": "admin"})))) + "." + parts[2], errJWTSignature},
		{"ECDSA r=s=0", jtHeaderSeg(t, "ES256", "ec256") + "." + jtB64([]byte(claimsJSON)) + "." + jtB64(make([]byte, 64)), errJWTSignature},
		{"ECDSA r=0", jtHeaderSeg(t, "ES256", "ec256") + "." + jtB64([]byte(claimsJSON)) + "." + jtB64(append(make([]byte, 32), jtOnes(32)...)), errJWTSignature},
		{"ECDSA short signature", jtTruncSig(t, jtSign(t, "ES256", "ec256", k.ec256, jtClaims(nil), nil), 1), errJWTSignature},
		{"ECDSA DER signature", jtDERSig(t, k.ec256, claimsJSON), errJWTSignature},
		{"EdDSA short signature", jtTruncSig(t, jtSign(t, "EdDSA", "ed", k.ed, jtClaims(nil), nil), 1), errJWTSignature},
		{"RSA short signature", jtTruncSig(t, valid, 1), errJWTSignature},
		{"expired", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"exp": now - 31}), nil), errJWTExpired},
		{"no exp", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"exp": nil}), nil), errJWTNoExp},
		{"no time claims", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"exp": nil, "nbf": nil, "iat": nil}), nil), errJWTNoExp},
		{"exp null", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS256","kid":"rsa"}`, `{"sub":"a","iss":"https://issuer.example","aud":"api","exp":null}`), errJWTNumeric},
		{"expired at the leeway edge", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"exp": now - 30}), nil), errJWTExpired},
		{"not yet valid", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"nbf": now + 31}), nil), errJWTNotYet},
		{"issued in the future", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"iat": now + 31}), nil), errJWTIatFuture},
		{"exp as a string", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"exp": strconv.FormatInt(now+60, 10)}), nil), errJWTNumeric},
		{"exp overflowing", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS256","kid":"rsa"}`, `{"sub":"a","iss":"https://issuer.example","aud":"api","exp":1e400}`), errJWTNumeric},
		{"nbf as a boolean", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"nbf": true}), nil), errJWTNumeric},
		{"iat as null", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS256","kid":"rsa"}`, `{"sub":"a","iss":"https://issuer.example","aud":"api","exp":`+strconv.FormatInt(now+60, 10)+`,"iat":null}`), errJWTNumeric},
		{"wrong issuer", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"iss": "https://evil.example"}), nil), errJWTIssuer},
		{"issuer with a trailing slash", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"iss": "https://issuer.example/"}), nil), errJWTIssuer},
		{"issuer missing", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"iss": nil}), nil), errJWTIssuer},
		{"issuer not a string", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"iss": 1}), nil), errJWTIssuer},
		{"wrong audience", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"aud": "web"}), nil), errJWTAudience},
		{"wrong audience array", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"aud": []string{"web", "mobile"}}), nil), errJWTAudience},
		{"audience missing", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"aud": nil}), nil), errJWTAudience},
		{"audience not a string", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(map[string]any{"aud": 5}), nil), errJWTAudience},
		{"duplicate claim", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS256","kid":"rsa"}`, `{"sub":"alice","sub":"admin","iss":"https://issuer.example","aud":"api"}`), errJWTDuplicate},
		{"duplicate nested claim", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS256","kid":"rsa"}`, `{"sub":"a","iss":"https://issuer.example","aud":"api","x":{"r":1,"r":2}}`), errJWTDuplicate},
		{"duplicate escaped claim", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS256","kid":"rsa"}`, `{"sub":"alice","s\u0075b":"admin","iss":"https://issuer.example","aud":"api"}`), errJWTDuplicate},
		{"duplicate header alg", jtSignRaw(t, "RS256", k.rsa, `{"alg":"HS256","alg":"RS256","kid":"rsa"}`, claimsJSON), errJWTDuplicate},
		{"claims not an object", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS256","kid":"rsa"}`, `["sub"]`), errJWTClaimsJSON},
		{"claims with trailing data", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS256","kid":"rsa"}`, claimsJSON+`{}`), errJWTClaimsJSON},
		{"claims not JSON", jtSignRaw(t, "RS256", k.rsa, `{"alg":"RS256","kid":"rsa"}`, `sub=alice`), errJWTClaimsJSON},
		{"header not JSON", jtB64([]byte(`alg=RS256`)) + "." + parts[1] + "." + parts[2], errJWTHeader},
		{"header without alg", jtB64([]byte(`{"kid":"rsa"}`)) + "." + parts[1] + "." + parts[2], errJWTHeader},
		{"crit header", jtSign(t, "RS256", "rsa", k.rsa, jtClaims(nil), map[string]any{"crit": []string{"exp"}, "exp": 1}), errJWTCrit},
		{"two parts", parts[0] + "." + parts[1], errJWTMalformed},
		{"four parts", valid + "." + parts[2], errJWTMalformed},
		{"empty header", "." + parts[1] + "." + parts[2], errJWTMalformed},
		{"empty payload", parts[0] + ".." + parts[2], errJWTMalformed},
		{"empty", "", errJWTMalformed},
		{"truncated", valid[:len(parts[0])+1+len(parts[1])/2], errJWTMalformed},
		{"oversized", parts[0] + "." + strings.Repeat("A", MaxJWTSize) + "." + parts[2], errJWTTooLarge},
		{"padding", parts[0] + "=." + parts[1] + "." + parts[2], errJWTBase64},
		{"plus", strings.Replace(valid, "-", "+", -1) + "+", errJWTBase64},
		{"slash", valid + "/", errJWTBase64},
		{"line break", parts[0] + "." + parts[1][:4] + "\n" + parts[1][4:] + "." + parts[2], errJWTBase64},
		{"space", parts[0] + ". " + parts[1] + "." + parts[2], errJWTBase64},
		{"non-canonical base64", nonCanonical, errJWTBase64},
		{"bad base64 length", valid + "AAA", errJWTBase64},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(v, context.Background(), tc.token)
			if err != tc.want {
				t.Fatalf("verify = %v, want %v", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), tc.token) && tc.token != "" {
				t.Fatalf("the error contains the token")
			}
		})
	}
}

// jtHeaderSeg is the encoded header {"alg":alg,"kid":kid}.
func jtHeaderSeg(t testing.TB, alg, kid string) string {
	return jtB64([]byte(jtJSON(t, map[string]any{"alg": alg, "kid": kid})))
}

func jtOnes(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i++ {
		b[i] = 0x11
	}
	return b
}

// jtTruncSig drops n bytes from the end of a token's signature.
func jtTruncSig(t testing.TB, tok string, n int) string {
	p := strings.Split(tok, ".")
	sig, err := base64.RawURLEncoding.DecodeString(p[2])
	if err != nil {
		t.Fatal(err)
	}
	return p[0] + "." + p[1] + "." + jtB64(sig[:len(sig)-n])
}

// jtDERSig is an ES256 token whose signature is ASN.1 DER (what a
// mistaken signer would produce) instead of R || S.
func jtDERSig(t testing.TB, k *ecdsa.PrivateKey, claims string) string {
	input := jtHeaderSeg(t, "ES256", "ec256") + "." + jtB64([]byte(claims))
	h := crypto.SHA256.New()
	h.Write([]byte(input))
	sig, err := ecdsa.SignASN1(rand.Reader, k, h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + jtB64(sig)
}

// jtNonCanonical encodes b in base64url with a stray bit in the last
// character (len(b) must not be a multiple of 3).
func jtNonCanonical(b []byte) string {
	s := jtB64(b)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[last|1])
}

func TestJWTVerifyAccepts(t *testing.T) {
	k := jtKeys()
	v := jtJWKSVerifier(t)
	now := jtNow.Unix()
	cases := []struct {
		name   string
		claims map[string]any
	}{
		{"exp inside the leeway", map[string]any{"exp": now - 29}},
		{"nbf inside the leeway", map[string]any{"nbf": now + 30}},
		{"iat inside the leeway", map[string]any{"iat": now + 30}},
		{"no nbf nor iat", map[string]any{"nbf": nil, "iat": nil}},
		{"fractional exp", map[string]any{"exp": float64(now) + 0.5}},
		{"aud array", map[string]any{"aud": []string{"web", "api"}}},
		{"second configured audience", map[string]any{"aud": "other-api"}},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			tok := jtSign(t, "ES256", "ec256", k.ec256, jtClaims(tc.claims), nil)
			if _, err := Verify(v, context.Background(), tok); err != nil {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

func TestJWTAlgorithmRestrictions(t *testing.T) {
	k := jtKeys()
	cfg := jtConfig()
	cfg.JWKSFile = jtWrite(t, "jwks.json", jtPublicJWKS(t))
	cfg.Algorithms = []string{"RS256", "ES256"}
	v := jtVerifier(t, cfg)
	if _, err := Verify(v, context.Background(), jtSign(t, "RS256", "rsa", k.rsa, jtClaims(nil), nil)); err != nil {
		t.Fatalf("RS256: %v", err)
	}
	if _, err := Verify(v, context.Background(), jtSign(t, "PS256", "rsa", k.rsa, jtClaims(nil), nil)); err != errJWTAlg {
		t.Fatalf("PS256 not in algorithms: %v", err)
	}
	if _, err := Verify(v, context.Background(), jtSign(t, "EdDSA", "ed", k.ed, jtClaims(nil), nil)); err != errJWTAlg {
		t.Fatalf("EdDSA not in algorithms: %v", err)
	}

	// A JWK "alg" binds the key to that one algorithm.
	jk, _ := jwsKeyFromPublic(&k.rsa.PublicKey)
	jk.kid = "rsa"
	jk.alg = "PS256"
	cfg = jtConfig()
	cfg.JWKSFile = jtWrite(t, "jwks.json", JWKSDocument([]*Key{jk}))
	v = jtVerifier(t, cfg)
	if _, err := Verify(v, context.Background(), jtSign(t, "PS256", "rsa", k.rsa, jtClaims(nil), nil)); err != nil {
		t.Fatalf("PS256 with a PS256 key: %v", err)
	}
	// The default algorithms are those of the keys: PS256 only here.
	if _, err := Verify(v, context.Background(), jtSign(t, "RS256", "rsa", k.rsa, jtClaims(nil), nil)); err != errJWTAlg {
		t.Fatalf("RS256 with a PS256 key: %v", err)
	}
	// With a second, unrestricted key RS256 is allowed, but not with the
	// PS256 key's kid.
	jk2, _ := jwsKeyFromPublic(&k.rsa2.PublicKey)
	jk2.kid = "rsa2"
	cfg.JWKSFile = jtWrite(t, "jwks2.json", JWKSDocument([]*Key{jk, jk2}))
	v = jtVerifier(t, cfg)
	if _, err := Verify(v, context.Background(), jtSign(t, "RS256", "rsa", k.rsa, jtClaims(nil), nil)); err != errJWTNoKey {
		t.Fatalf("RS256 with the kid of a PS256 key: %v", err)
	}
	if _, err := Verify(v, context.Background(), jtSign(t, "RS256", "rsa2", k.rsa2, jtClaims(nil), nil)); err != nil {
		t.Fatalf("RS256 with an unrestricted key: %v", err)
	}
}

func TestJWTDefaultAlgorithms(t *testing.T) {
	k := jtKeys()
	pemCfg := func(pub any) Config {
		c := jtConfig()
		c.PublicKeyFile = jtWrite(t, "key.pem", jtPublicPEM(t, pub))
		return c
	}
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"RSA", pemCfg(&k.rsa.PublicKey), "PS256 PS384 PS512 RS256 RS384 RS512"},
		{"P-256", pemCfg(&k.ec256.PublicKey), "ES256"},
		{"P-384", pemCfg(&k.ec384.PublicKey), "ES384"},
		{"Ed25519", pemCfg(k.ed.Public()), "EdDSA"},
		{"hmac 32 bytes", Config{HMACSecret: strings.Repeat("s", 32)}, "HS256"},
		{"hmac 64 bytes", Config{HMACSecret: strings.Repeat("s", 64)}, "HS256 HS384 HS512"},
		{"jwks_url", Config{JWKSURL: "http://127.0.0.1:1/jwks"}, "ES256 ES384 EdDSA PS256 PS384 PS512 RS256 RS384 RS512"},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			v := jtVerifier(t, tc.cfg)
			defer v.Close()
			var names []string
			for n := range v.algs {
				names = append(names, n)
			}
			got := strings.Join(jtSorted(names), " ")
			if got != tc.want {
				t.Fatalf("algorithms = %q, want %q", got, tc.want)
			}
		})
	}
}

func jtSorted(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			tmp := s[j]
			s[j] = s[j-1]
			s[j-1] = tmp
		}
	}
	return s
}

func TestJWTHMAC(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	cfg := jtConfig()
	cfg.HMACSecret = string(secret)
	v := jtVerifier(t, cfg)
	if _, err := Verify(v, context.Background(), jtSign(t, "HS256", "", secret, jtClaims(nil), nil)); err != nil {
		t.Fatalf("HS256: %v", err)
	}
	if _, err := Verify(v, context.Background(), jtSign(t, "HS256", "", []byte("0123456789abcdef0123456789abcdeX"), jtClaims(nil), nil)); err != errJWTSignature {
		t.Fatalf("HS256 other secret: %v", err)
	}
	// A 32-byte secret is too short for HS512 (RFC 7518 §3.2).
	if _, err := Verify(v, context.Background(), jtSign(t, "HS512", "", secret, jtClaims(nil), nil)); err != errJWTAlg {
		t.Fatalf("HS512 with a 32-byte secret: %v", err)
	}
	if _, err := Verify(v, context.Background(), jtSign(t, "RS256", "", jtKeys().rsa, jtClaims(nil), nil)); err != errJWTAlg {
		t.Fatalf("RS256 with an HMAC secret: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	k := jtKeys()
	rsaPEM := jtWrite(t, "rsa.pem", jtPublicPEM(t, &k.rsa.PublicKey))
	ecPEM := jtWrite(t, "ec.pem", jtPublicPEM(t, &k.ec256.PublicKey))
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	weakPEM := jtWrite(t, "weak.pem", jtPublicPEM(t, &weak.PublicKey))
	privDER, _ := x509.MarshalPKCS8PrivateKey(k.ec256)
	privPEM := jtWrite(t, "priv.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	weakJWK, _ := jwsKeyFromPublic(&k.rsa.PublicKey)
	weakJWK.rsa = &weak.PublicKey
	weakJWKS := jtWrite(t, "weak.json", JWKSDocument([]*Key{weakJWK}))
	encOnly := jtWrite(t, "enc.json", []byte(`{"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}]}`))
	missing := filepath.Join(t.TempDir(), "missing.pem")

	cases := []struct {
		name string
		mod  func(c *Config)
		want []string // substrings of the message
	}{
		{"no key source", func(c *Config) {}, []string{"jwks_url, discovery_url, jwks_file, public_key_file or hmac_secret"}},
		{"two key sources", func(c *Config) { c.JWKSURL = "https://x.example/jwks"; c.PublicKeyFile = rsaPEM }, []string{"jwks_url and public_key_file are exclusive"}},
		{"jwks_url not http", func(c *Config) { c.JWKSURL = "file:///etc/jwks" }, []string{"jwks_url"}},
		{"jwks_url relative", func(c *Config) { c.JWKSURL = "/jwks" }, []string{"jwks_url"}},
		{"unreadable public_key_file", func(c *Config) { c.PublicKeyFile = missing }, []string{"public_key_file", "missing.pem"}},
		{"unreadable jwks_file", func(c *Config) { c.JWKSFile = missing }, []string{"jwks_file"}},
		{"not PEM", func(c *Config) { c.PublicKeyFile = jtWrite(t, "x.pem", []byte("hello")) }, []string{"public_key_file", "no PEM public key"}},
		{"private key PEM", func(c *Config) { c.PublicKeyFile = privPEM }, []string{"public_key_file", "private key"}},
		{"weak RSA PEM", func(c *Config) { c.PublicKeyFile = weakPEM }, []string{"public_key_file", "1024 bits"}},
		{"weak RSA JWKS", func(c *Config) { c.JWKSFile = weakJWKS }, []string{"jwks_file", "1024 bits"}},
		{"JWKS without signature keys", func(c *Config) { c.JWKSFile = encOnly }, []string{"jwks_file", "no usable signature key"}},
		{"JWKS not JSON", func(c *Config) { c.JWKSFile = jtWrite(t, "j.json", []byte("{")) }, []string{"jwks_file"}},
		{"short hmac_secret", func(c *Config) { c.HMACSecret = "short" }, []string{"hmac_secret", "32 bytes"}},
		{"unknown algorithm", func(c *Config) { c.PublicKeyFile = rsaPEM; c.Algorithms = []string{"RS256", "XS256"} }, []string{"algorithms", "XS256"}},
		{"algorithm none", func(c *Config) { c.PublicKeyFile = rsaPEM; c.Algorithms = []string{"none"} }, []string{"algorithms", "none"}},
		{"HS256 with an RSA key", func(c *Config) { c.PublicKeyFile = rsaPEM; c.Algorithms = []string{"RS256", "HS256"} }, []string{"algorithms", "HS256"}},
		{"HS256 with jwks_url", func(c *Config) { c.JWKSURL = "https://x.example/jwks"; c.Algorithms = []string{"HS256"} }, []string{"algorithms", "HS256"}},
		{"ES384 with a P-256 key", func(c *Config) { c.PublicKeyFile = ecPEM; c.Algorithms = []string{"ES384"} }, []string{"algorithms", "ES384"}},
		{"RS256 with an HMAC secret", func(c *Config) { c.HMACSecret = strings.Repeat("k", 32); c.Algorithms = []string{"RS256"} }, []string{"algorithms", "RS256"}},
		{"HS512 with a short secret", func(c *Config) { c.HMACSecret = strings.Repeat("k", 32); c.Algorithms = []string{"HS512"} }, []string{"algorithms", "HS512", "64 bytes"}},
		{"negative leeway", func(c *Config) { c.PublicKeyFile = rsaPEM; c.Leeway = -time.Second }, []string{"leeway"}},
		{"empty audience", func(c *Config) { c.PublicKeyFile = rsaPEM; c.Audience = []string{"api", ""} }, []string{"audience"}},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			cfg := jtDefault()
			tc.mod(&cfg)
			v, err := NewVerifier(context.Background(), cfg, nil, nil)
			if err == nil {
				v.Close()
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
			if cfg.HMACSecret != "" && strings.Contains(err.Error(), cfg.HMACSecret) {
				t.Fatalf("error %q contains the secret", err)
			}
		})
	}
}

func TestParseJWT(t *testing.T) {
	k := jtKeys()
	tok := jtSignRaw(t, "ES256", k.ec256, `{"alg":"ES256","kid":"k1","typ":"JWT","jwk":{"kty":"EC"}}`, `{"sub":"a","n":12.50,"big":12345678901234567890,"nested":{"a":[1,"x",null,true]}}`)
	j, err := ParseJWT(tok)
	if err != nil {
		t.Fatal(err)
	}
	if j.Alg != "ES256" || j.Kid != "k1" || j.Typ != "JWT" {
		t.Fatalf("header = %q %q %q", j.Alg, j.Kid, j.Typ)
	}
	if _, ok := j.Header["jwk"]; !ok {
		t.Fatal("jwk header not kept")
	}
	if n, ok := j.Claims["n"].(json.Number); !ok || string(n) != "12.50" {
		t.Fatalf("n = %#v", j.Claims["n"])
	}
	if n, ok := j.Claims["big"].(json.Number); !ok || string(n) != "12345678901234567890" {
		t.Fatalf("big = %#v", j.Claims["big"])
	}
	nested, _ := j.Claims["nested"].(map[string]any)
	arr, _ := nested["a"].([]any)
	if len(arr) != 4 || arr[1] != "x" || arr[2] != nil || arr[3] != true {
		t.Fatalf("nested = %#v", j.Claims["nested"])
	}
	if j.SigningInput != tok[:strings.LastIndexByte(tok, '.')] || len(j.Signature) != 64 {
		t.Fatalf("signing input or signature wrong")
	}
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if _, err := ParseJWT(jtSignRaw(t, "ES256", k.ec256, `{"alg":"ES256"}`, `{"d":`+deep+`}`)); err != errJWTClaimsJSON {
		t.Fatalf("deep nesting: %v", err)
	}
	ok := strings.Repeat("[", 60) + strings.Repeat("]", 60)
	if _, err := ParseJWT(jtSignRaw(t, "ES256", k.ec256, `{"alg":"ES256"}`, `{"d":`+ok+`}`)); err != nil {
		t.Fatalf("nesting 60: %v", err)
	}
}

// RFC 7515 Appendix A: the published HS256, RS256 and ES256 examples.
const (
	jtRFC7515Payload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
	jtRFC7515A1      = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + jtRFC7515Payload + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	jtRFC7515A1Key   = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
	jtRFC7515A2      = "eyJhbGciOiJSUzI1NiJ9." + jtRFC7515Payload + "." +
		"cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
	jtRFC7515A2N = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
	jtRFC7515A3  = "eyJhbGciOiJFUzI1NiJ9." + jtRFC7515Payload + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
	jtRFC7515A3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
	jtRFC7515A3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
	// RFC 8037 A.4: EdDSA over a non-JSON payload.
	jtRFC8037A4 = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
	jtRFC8037X  = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
)

func TestJWTRFC7515Vectors(t *testing.T) {
	hmacKey, _ := base64.RawURLEncoding.DecodeString(jtRFC7515A1Key)
	rsaJWKS := `{"keys":[{"kty":"RSA","n":"` + jtRFC7515A2N + `","e":"AQAB"}]}`
	ecJWKS := `{"keys":[{"kty":"EC","crv":"P-256","x":"` + jtRFC7515A3X + `","y":"` + jtRFC7515A3Y + `"}]}`
	cases := []struct {
		name  string
		token string
		cfg   Config
	}{
		{"A.1 HS256", jtRFC7515A1, Config{HMACSecret: string(hmacKey)}},
		{"A.2 RS256", jtRFC7515A2, Config{JWKSFile: jtWrite(t, "rsa.json", []byte(rsaJWKS))}},
		{"A.3 ES256", jtRFC7515A3, Config{JWKSFile: jtWrite(t, "ec.json", []byte(ecJWKS))}},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Issuer = "joe"
			v := jtVerifier(t, cfg)
			v.now = func() time.Time { return time.Unix(1300819000, 0) }
			claims, err := Verify(v, context.Background(), tc.token)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if claims["http://example.com/is_root"] != true || claims["exp"] != json.Number("1300819380") {
				t.Fatalf("claims = %v", claims)
			}
			// The example token expired in 2011.
			v.now = time.Now
			if _, err := Verify(v, context.Background(), tc.token); err != errJWTExpired {
				t.Fatalf("now: %v, want expired", err)
			}
			// One flipped signature bit breaks it.
			p := strings.Split(tc.token, ".")
			sig, _ := base64.RawURLEncoding.DecodeString(p[2])
			sig[len(sig)/2] ^= 1
			v.now = func() time.Time { return time.Unix(1300819000, 0) }
			if _, err := Verify(v, context.Background(), p[0]+"."+p[1]+"."+jtB64(sig)); err != errJWTSignature {
				t.Fatalf("flipped bit: %v", err)
			}
		})
	}
}

func TestJWTRFC8037Vector(t *testing.T) {
	j, payload, err := jwsParse(jtRFC8037A4)
	if err != nil {
		t.Fatal(err)
	}
	if string(payload) != "Example of Ed25519 signing" {
		t.Fatalf("payload = %q", payload)
	}
	x, _ := base64.RawURLEncoding.DecodeString(jtRFC8037X)
	key := &Key{kty: "OKP", crv: "Ed25519", ed: ed25519.PublicKey(x)}
	if !key.accepts(jwsAlgs["EdDSA"]) || !jwsVerify(jwsAlgs["EdDSA"], key, j.SigningInput, j.Signature) {
		t.Fatal("RFC 8037 A.4 signature does not verify")
	}
	if jwsVerify(jwsAlgs["EdDSA"], key, j.SigningInput+"x", j.Signature) {
		t.Fatal("verifies over other input")
	}
	if _, err := ParseJWT(jtRFC8037A4); err != errJWTClaimsJSON {
		t.Fatalf("ParseJWT of a non-JWT JWS: %v", err)
	}
}

func TestJWTSentinelErrorsAreDistinct(t *testing.T) {
	all := []error{errJWTTooLarge, errJWTMalformed, errJWTBase64, errJWTHeader, errJWTDuplicate, errJWTAlgNone, errJWTCrit,
		errJWTClaimsJSON, errJWTAlg, errJWTNoKey, errJWTSignature, errJWTType, errJWTNumeric, errJWTExpired, errJWTNotYet,
		errJWTIatFuture, errJWTIssuer, errJWTAudience}
	for i := 0; i < len(all); i++ {
		for j := 0; j < i; j++ {
			if all[i] == all[j] {
				t.Fatalf("duplicate sentinel %v", all[i])
			}
		}
	}
}

func TestJWTJSONObject(t *testing.T) {
	many := `{`
	for i := 0; i < 40; i++ {
		many += `"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i) + `,`
	}
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"object", `{"a":1,"b":[1,{"c":"d"}],"e":{"f":null}}`, nil},
		{"whitespace", " \r\n{ \"a\" : 1 }\n ", nil},
		{"same name in sibling objects", `{"o1":{"x":1},"o2":{"x":1},"x":[{"x":1},{"x":2}]}`, nil},
		{"value equal to a name", `{"a":"a","b":"a","c":["a","b"]}`, nil},
		{"braces and quotes inside strings", `{"a":"}{\",\"a\":","b":"\\"}`, nil},
		{"40 members", many + `"z":1}`, nil},
		{"duplicate", `{"a":1,"a":1}`, ErrDuplicateMember},
		{"duplicate after 40 members", many + `"k7":1}`, ErrDuplicateMember},
		{"duplicate in an array of objects", `{"a":[{"x":1,"x":2}]}`, ErrDuplicateMember},
		{"duplicate deep", `{"a":{"b":{"c":{"d":1,"e":2,"d":3}}}}`, ErrDuplicateMember},
		{"duplicate with an escaped quote", `{"a\"b":1,"a\"b":2}`, ErrDuplicateMember},
		{"duplicate spelled with an escape", `{"sub":1,"\u0073ub":2}`, ErrDuplicateMember},
		{"duplicate invalid UTF-8", "{\"\xff\":1,\"\xfe\":2}", ErrDuplicateMember},
		{"duplicate after a nested object", `{"a":{"a":1},"b":2,"a":3}`, ErrDuplicateMember},
		{"array", `[1]`, errJSONSyntax},
		{"null", `null`, errJSONSyntax},
		{"string", `"x"`, errJSONSyntax},
		{"empty", ``, errJSONSyntax},
		{"trailing comma", `{"a":1,}`, errJSONSyntax},
		{"two objects", `{}{}`, errJSONSyntax},
		{"trailing garbage", `{} x`, errJSONSyntax},
		{"unterminated", `{"a":"b`, errJSONSyntax},
		{"too deep", `{"a":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`, errJSONSyntax},
		{"deep enough", `{"a":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`, nil},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeObject([]byte(tc.in))
			if err != tc.want {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err == nil && m == nil {
				t.Fatal("nil map")
			}
		})
	}
}

// TestSignNilHeader: Sign with a nil header signs with an empty one
// (it used to panic writing alg into the nil map).
func TestSignNilHeader(t *testing.T) {
	s, err := NewEphemeralSigner()
	if err != nil {
		t.Fatal(err)
	}
	s.SetKeyID("k")
	tok, err := s.Sign(nil, map[string]any{"sub": "a"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := ParseJWT(tok)
	if err != nil || j.Header["alg"] != "EdDSA" || j.Header["kid"] != "k" {
		t.Fatalf("ParseJWT = %+v, %v", j, err)
	}
}

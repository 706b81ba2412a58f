package conformance

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aclgate/aclgate/core"
	"github.com/golang-jwt/jwt/v5"
)

// Interoperability of core's JWT verifier with github.com/golang-jwt/jwt/v5:
// tokens it mints verify in core, through a JWKS file and through a PEM
// file, and what core must refuse it refuses.

type jwtInteropKey struct {
	method jwt.SigningMethod
	priv   crypto.Signer // nil for HMAC
	pub    crypto.PublicKey
}

func jwtInteropKeys(t *testing.T) map[string]jwtInteropKey {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	return map[string]jwtInteropKey{
		"RS256": {jwt.SigningMethodRS256, rsaKey, &rsaKey.PublicKey},
		"RS512": {jwt.SigningMethodRS512, rsaKey, &rsaKey.PublicKey},
		"PS256": {jwt.SigningMethodPS256, rsaKey, &rsaKey.PublicKey},
		"PS384": {jwt.SigningMethodPS384, rsaKey, &rsaKey.PublicKey},
		"ES256": {jwt.SigningMethodES256, ec256, &ec256.PublicKey},
		"ES384": {jwt.SigningMethodES384, ec384, &ec384.PublicKey},
		"EdDSA": {jwt.SigningMethodEdDSA, edPriv, edPub},
	}
}

// jwtJWKOf writes a public key as a JWK by hand (independently of core).
func jwtJWKOf(t *testing.T, pub crypto.PublicKey, kid string) map[string]string {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		b, err := k.Bytes() // 0x04 || x || y
		if err != nil {
			panic(err)
		}
		x, y := b[1:1+size], b[1+size:]
		return map[string]string{"kty": "EC", "kid": kid, "crv": k.Curve.Params().Name, "x": b64(x), "y": b64(y)}
	case ed25519.PublicKey:
		return map[string]string{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(k)}
	}
	t.Fatalf("jwkOf: %T", pub)
	return nil
}

func jwtWriteFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func jwtMint(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("golang-jwt %s: %v", method.Alg(), err)
	}
	return s
}

func jwtGoodClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub": "alice", "iss": "https://idp.example", "aud": []string{"api"},
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nbf": now.Unix(),
		"groups": []string{"admin"}, "scope": "users:read users:write",
	}
}

func jwtVerifierCfg() core.JWTConfig {
	cfg := core.DefaultJWTConfig()
	cfg.Issuer = "https://idp.example"
	cfg.Audience = []string{"api"}
	cfg.PermissionsClaim = "scope"
	return cfg
}

func TestJWTInteropGolangJWTToCore(t *testing.T) {
	keys := jwtInteropKeys(t)
	var jwks []map[string]string
	for alg, k := range keys {
		jwks = append(jwks, jwtJWKOf(t, k.pub, alg))
	}
	doc, _ := json.Marshal(map[string]any{"keys": jwks})
	cfg := jwtVerifierCfg()
	cfg.JWKSFile = jwtWriteFile(t, "jwks.json", doc)
	viaJWKS, err := core.NewJWTVerifier(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer viaJWKS.Close()

	for alg, k := range keys {
		alg, k := alg, k
		t.Run(alg, func(t *testing.T) {
			for _, kid := range []string{alg, ""} {
				u, err := viaJWKS.Verify(jwtMint(t, k.method, k.priv, kid, jwtGoodClaims()))
				if err != nil {
					t.Fatalf("JWKS, kid %q: %v", kid, err)
				}
				if u.ID != "alice" || len(u.Groups) != 1 || len(u.Permissions) != 2 {
					t.Fatalf("user = %+v", u)
				}
			}
			// Through a PEM public key.
			der, err := x509.MarshalPKIXPublicKey(k.pub)
			if err != nil {
				t.Fatal(err)
			}
			pc := jwtVerifierCfg()
			pc.PublicKeyFile = jwtWriteFile(t, "key.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
			viaPEM, err := core.NewJWTVerifier(context.Background(), pc, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer viaPEM.Close()
			if _, err := viaPEM.Verify(jwtMint(t, k.method, k.priv, "", jwtGoodClaims())); err != nil {
				t.Fatalf("PEM: %v", err)
			}
			// Expired and wrong-audience tokens from golang-jwt are refused.
			exp := jwtGoodClaims()
			exp["exp"] = time.Now().Add(-time.Hour).Unix()
			if _, err := viaPEM.Verify(jwtMint(t, k.method, k.priv, "", exp)); err == nil {
				t.Fatal("expired token accepted")
			}
			aud := jwtGoodClaims()
			aud["aud"] = "web"
			if _, err := viaPEM.Verify(jwtMint(t, k.method, k.priv, "", aud)); err == nil {
				t.Fatal("wrong audience accepted")
			}
		})
	}
}

func TestJWTInteropGolangJWTHMAC(t *testing.T) {
	secret := []byte("an hmac secret of at least 32 bytes!")
	cfg := jwtVerifierCfg()
	cfg.HMACSecret = string(secret)
	v, err := core.NewJWTVerifier(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if u, err := v.Verify(jwtMint(t, jwt.SigningMethodHS256, secret, "", jwtGoodClaims())); err != nil || u.ID != "alice" {
		t.Fatalf("HS256: %+v %v", u, err)
	}
	if _, err := v.Verify(jwtMint(t, jwt.SigningMethodHS256, []byte("another secret of at least 32 bytes"), "", jwtGoodClaims())); err == nil {
		t.Fatal("wrong secret accepted")
	}
}

func TestJWTInteropAttacks(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	cfg := jwtVerifierCfg()
	cfg.PublicKeyFile = jwtWriteFile(t, "key.pem", pubPEM)
	v, err := core.NewJWTVerifier(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(jwtMint(t, jwt.SigningMethodRS256, rsaKey, "", jwtGoodClaims())); err != nil {
		t.Fatalf("genuine token: %v", err)
	}
	// alg none.
	none := jwtMint(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", jwtGoodClaims())
	if _, err := v.Verify(none); err == nil {
		t.Fatal("alg none accepted")
	}
	// RS256 → HS256 confusion: HMAC keyed with the public key PEM.
	if _, err := v.Verify(jwtMint(t, jwt.SigningMethodHS256, pubPEM, "", jwtGoodClaims())); err == nil {
		t.Fatal("HS256 keyed with the RSA public key accepted")
	}
	if _, err := v.Verify(jwtMint(t, jwt.SigningMethodHS256, der, "", jwtGoodClaims())); err == nil {
		t.Fatal("HS256 keyed with the RSA public key DER accepted")
	}
}

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
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aclgate/aclgate/core"
	"github.com/aclgate/aclgate/core/token"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Interoperability of core's token endpoint: golang-jwt verifies its tokens
// against the published JWKS, and golang.org/x/oauth2/clientcredentials
// obtains tokens from it with both client authentication styles.

const (
	ccIssuer = "https://gw.example"
	// A secret with the characters RFC 6749 §2.3.1 form-encoding changes.
	ccSecret = "s3cret:with+plus and%percent"
)

func tokNewIssuer(t *testing.T, signingKey string) *token.Issuer {
	t.Helper()
	cfg := token.DefaultConfig()
	cfg.Issuer = ccIssuer
	cfg.Audience = []string{"api", "admin-api"}
	cfg.TTL = 30 * time.Minute
	cfg.SigningKey = signingKey
	cfg.Clients = []token.Client{{ID: "svc", Secret: ccSecret, Scopes: []string{"users:read", "users:write"},
		Permissions: []string{"orders:read"}, Groups: []string{"backend"}}}
	iss, err := token.NewIssuer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func tokServe(iss *token.Issuer) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !iss.ServeHTTP(w, r) {
			http.NotFound(w, r)
		}
	}))
}

// tokParseJWKS turns a JWKS into crypto keys by kid, independently of core.
func tokParseJWKS(t *testing.T, doc []byte) map[string]crypto.PublicKey {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWKS member %q: %v", s, err)
		}
		return b
	}
	out := map[string]crypto.PublicKey{}
	for _, k := range set.Keys {
		if k["use"] != "sig" || k["kid"] == "" || k["alg"] == "" {
			t.Fatalf("JWK without use/kid/alg: %v", k)
		}
		switch k["kty"] {
		case "RSA":
			out[k["kid"]] = &rsa.PublicKey{N: new(big.Int).SetBytes(dec(k["n"])), E: int(new(big.Int).SetBytes(dec(k["e"])).Int64())}
		case "EC":
			if k["crv"] != "P-256" {
				t.Fatalf("crv %s", k["crv"])
			}
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, dec(k["x"])...), dec(k["y"])...))
			if err != nil {
				t.Fatalf("EC key %s: %v", k["kid"], err)
			}
			out[k["kid"]] = pub
		case "OKP":
			out[k["kid"]] = ed25519.PublicKey(dec(k["x"]))
		default:
			t.Fatalf("kty %s", k["kty"])
		}
	}
	return out
}

func tokSigningKeyFile(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return jwtWriteFile(t, "signing.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestTokenInteropGolangJWT(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	cases := []struct {
		name, alg string
		keyFile   func(t *testing.T) string
	}{
		{"ephemeral Ed25519", "EdDSA", func(t *testing.T) string { return "" }},
		{"Ed25519", "EdDSA", func(t *testing.T) string { return tokSigningKeyFile(t, edKey) }},
		{"P-256", "ES256", func(t *testing.T) string { return tokSigningKeyFile(t, ecKey) }},
		{"RSA", "RS256", func(t *testing.T) string { return tokSigningKeyFile(t, rsaKey) }},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			iss := tokNewIssuer(t, tc.keyFile(t))
			srv := tokServe(iss)
			defer srv.Close()

			resp, err := http.Get(srv.URL + token.DefaultJWKSPath)
			if err != nil {
				t.Fatal(err)
			}
			doc, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.Header.Get("Cache-Control") != "max-age=300" {
				t.Fatalf("JWKS Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			keys := tokParseJWKS(t, doc)

			cc := clientcredentials.Config{ClientID: "svc", ClientSecret: ccSecret, TokenURL: srv.URL + token.DefaultTokenPath,
				Scopes: []string{"users:read"}, AuthStyle: oauth2.AuthStyleInHeader}
			tok, err := cc.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := jwt.Parse(tok.AccessToken, func(tk *jwt.Token) (any, error) {
				kid, _ := tk.Header["kid"].(string)
				k, ok := keys[kid]
				if !ok {
					return nil, errors.New("unknown kid")
				}
				return k, nil
			}, jwt.WithValidMethods([]string{tc.alg}), jwt.WithIssuer(ccIssuer), jwt.WithAudience("api"),
				jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(5*time.Second))
			if err != nil {
				t.Fatalf("golang-jwt: %v", err)
			}
			if parsed.Header["typ"] != "at+jwt" || parsed.Method.Alg() != tc.alg {
				t.Fatalf("header %v", parsed.Header)
			}
			c, _ := parsed.Claims.(jwt.MapClaims)
			if c["sub"] != "svc" || c["client_id"] != "svc" || c["scope"] != "users:read" {
				t.Fatalf("claims %v", c)
			}
			exp, _ := c.GetExpirationTime()
			iat, _ := c.GetIssuedAt()
			if exp.Sub(iat.Time) != 30*time.Minute {
				t.Fatalf("exp - iat = %v", exp.Sub(iat.Time))
			}
			if jti, _ := c["jti"].(string); len(jti) < 16 {
				t.Fatalf("jti %q", jti)
			}
			// A tampered token is refused by golang-jwt too.
			parts := strings.Split(tok.AccessToken, ".")
			forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin"}`)) + "." + parts[2]
			if _, err := jwt.Parse(forged, func(*jwt.Token) (any, error) { return keys[parsed.Header["kid"].(string)], nil }); err == nil {
				t.Fatal("forged token verified")
			}
		})
	}
}

func TestTokenInteropClientCredentials(t *testing.T) {
	iss := tokNewIssuer(t, "")
	srv := tokServe(iss)
	defer srv.Close()

	// core's own verifier reads the JWKS from the same server.
	vcfg := core.DefaultJWTConfig()
	vcfg.JWKSURL = srv.URL + token.DefaultJWKSPath
	vcfg.Issuer = ccIssuer
	vcfg.Audience = []string{"admin-api"}
	v, err := core.NewJWTVerifier(context.Background(), vcfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	styles := []struct {
		name  string
		style oauth2.AuthStyle
	}{{"AuthStyleInHeader", oauth2.AuthStyleInHeader}, {"AuthStyleInParams", oauth2.AuthStyleInParams}}
	for _, st := range styles {
		st := st
		t.Run(st.name, func(t *testing.T) {
			cc := clientcredentials.Config{ClientID: "svc", ClientSecret: ccSecret, TokenURL: srv.URL + token.DefaultTokenPath, AuthStyle: st.style}
			tok, err := cc.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tok.TokenType != "Bearer" || tok.RefreshToken != "" {
				t.Fatalf("token type %q refresh %q", tok.TokenType, tok.RefreshToken)
			}
			if d := time.Until(tok.Expiry); d < 29*time.Minute || d > 31*time.Minute {
				t.Fatalf("expiry in %v", d)
			}
			if scope, _ := tok.Extra("scope").(string); scope != "users:read users:write" {
				t.Fatalf("scope %q", scope)
			}
			u, err := v.Verify(tok.AccessToken)
			if err != nil {
				t.Fatalf("core verifier: %v", err)
			}
			if u.ID != "svc" || strings.Join(u.Permissions, ",") != "orders:read" || strings.Join(u.Groups, ",") != "backend" {
				t.Fatalf("user %+v", u)
			}

			// The token works against tokeninfo, through the oauth2 client.
			resp, err := cc.Client(context.Background()).Get(srv.URL + token.DefaultTokeninfoPath)
			if err != nil {
				t.Fatal(err)
			}
			var info map[string]any
			json.NewDecoder(resp.Body).Decode(&info)
			resp.Body.Close()
			if resp.StatusCode != 200 || info["sub"] != "svc" {
				t.Fatalf("tokeninfo %d %v", resp.StatusCode, info)
			}

			// A wrong secret: invalid_client.
			bad := cc
			bad.ClientSecret = "wrong"
			_, err = bad.Token(context.Background())
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != 401 {
				t.Fatalf("wrong secret: %v", err)
			}
			// An unknown scope: invalid_scope.
			scoped := cc
			scoped.Scopes = []string{"users:delete"}
			_, err = scoped.Token(context.Background())
			if !errors.As(err, &re) || re.ErrorCode != "invalid_scope" || re.Response.StatusCode != 400 {
				t.Fatalf("unknown scope: %v", err)
			}
		})
	}
}

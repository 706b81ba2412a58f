package token

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aclgate/aclgate/core/jose"
)

func ktPEM(t *testing.T, name string, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return jtWrite(t, name, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func ktToken(t *testing.T, iss *Issuer) string {
	t.Helper()
	_, body := jtServe(t, iss, jtReq{ct: jtFormCT, body: jtForm("grant_type", "client_credentials"), auth: []string{jtBasic("svc", jtSvcSecret)}})
	tok, _ := body["access_token"].(string)
	if tok == "" {
		t.Fatalf("no token: %v", body)
	}
	return tok
}

func ktKids(t *testing.T, iss *Issuer) []string {
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(iss.JWKS(), &doc); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for i := 0; i < len(doc.Keys); i++ {
		kid, _ := doc.Keys[i]["kid"].(string)
		kids = append(kids, kid+"/"+doc.Keys[i]["alg"].(string))
	}
	return kids
}

// TestKeyRotation: the procedure of the docs, step by step. A token of
// every step verifies through the JWKS of every later step until the key
// that signed it is removed.
func TestKeyRotation(t *testing.T) {
	k := jtKeys()
	oldKey := ktPEM(t, "old.pem", k.ed)
	newKey := ktPEM(t, "new.pem", k.ec256)
	steps := []struct {
		name      string
		mod       func(c *Config)
		signedBy  string // alg of new tokens
		kids      string
		verifies  []string // tokens of earlier steps that still verify
		refuses   []string
		tokenName string
	}{
		{"1 old key only", func(c *Config) { c.SigningKey = oldKey; c.KeyID = "k1" }, "EdDSA", "k1/EdDSA", nil, nil, "t1"},
		{"2 publish the new key, old still signs", func(c *Config) { c.SigningKeys = []string{oldKey, newKey}; c.KeyIDs = []string{"k1", "k2"} }, "EdDSA", "k1/EdDSA k2/ES256", []string{"t1"}, nil, "t2"},
		{"3 the new key signs first", func(c *Config) {
			c.SigningKey = newKey
			c.KeyID = "k2"
			c.SigningKeys = []string{oldKey}
			c.KeyIDs = []string{"k1"}
		}, "ES256", "k2/ES256 k1/EdDSA", []string{"t1", "t2"}, nil, "t3"},
		{"4 the old key removed after the ttl", func(c *Config) { c.SigningKeys = []string{newKey}; c.KeyIDs = []string{"k2"} }, "ES256", "k2/ES256", []string{"t3"}, []string{"t1", "t2"}, "t4"},
	}
	tokens := map[string]string{}
	for i := 0; i < len(steps); i++ {
		st := steps[i]
		iss := jtIssuer(t, st.mod)
		tok := ktToken(t, iss)
		j, err := jose.ParseJWT(tok)
		if err != nil || j.Alg != st.signedBy {
			t.Fatalf("%s: signed with %v (%v), want %s", st.name, j, err, st.signedBy)
		}
		if got := strings.Join(ktKids(t, iss), " "); got != st.kids {
			t.Fatalf("%s: JWKS %s, want %s", st.name, got, st.kids)
		}
		v, err := jose.NewVerifier(context.Background(), jose.Config{JWKSFile: jtWrite(t, "jwks.json", iss.JWKS()), Issuer: "https://gw.example", Leeway: DefaultLeeway}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		tokens[st.tokenName] = tok
		check := func(names []string, ok bool) {
			for _, n := range append(names, st.tokenName) {
				if !ok && n == st.tokenName {
					continue
				}
				_, err := jose.Verify(v, context.Background(), tokens[n])
				if (err == nil) != ok {
					t.Errorf("%s: token %s through the JWKS: %v, want ok %v", st.name, n, err, ok)
				}
				// tokeninfo accepts what the JWKS accepts
				r := httptest.NewRequest("GET", DefaultTokeninfoPath, nil)
				r.Header.Set("Authorization", "Bearer "+tokens[n])
				w := httptest.NewRecorder()
				iss.ServeHTTP(w, r)
				if (w.Code == 200) != ok {
					t.Errorf("%s: token %s at tokeninfo: %d, want ok %v", st.name, n, w.Code, ok)
				}
			}
		}
		check(st.verifies, true)
		check(st.refuses, false)
		v.Close()
	}
}

func TestSigningKeyErrors(t *testing.T) {
	k := jtKeys()
	a := ktPEM(t, "a.pem", k.ed)
	b := ktPEM(t, "b.pem", k.ec256)
	cases := []struct {
		name string
		mod  func(c *Config)
		want string
	}{
		{"more key ids than keys", func(c *Config) { c.SigningKeys = []string{a}; c.KeyIDs = []string{"k1", "k2"} }, "key_id: 2 key ids for 1 signing keys"},
		{"key ids without keys", func(c *Config) { c.KeyIDs = []string{"k1", "k2"} }, "key_id: 2 key ids without signing_key"},
		{"the same key twice", func(c *Config) { c.SigningKeys = []string{a, b, a} }, `(key 3): its kid`},
		{"the same kid twice", func(c *Config) { c.SigningKeys = []string{a, b}; c.KeyIDs = []string{"k", "k"} }, `signing_key "` + b + `" (key 2): its kid "k" is also the kid of key 1`},
		{"second key unreadable", func(c *Config) { c.SigningKey = a; c.SigningKeys = []string{filepath.Join(t.TempDir(), "gone.pem")} }, `gone.pem" (key 2): cannot read the file`},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			cfg := jtConfig()
			tc.mod(&cfg)
			_, err := NewIssuer(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

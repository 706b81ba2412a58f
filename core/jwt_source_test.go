package core

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jsSecret is the HMAC key of the jwt source tests.
const jsSecret = "0123456789abcdef0123456789abcdef"

// jsClaims returns valid claims as JSON, with changes applied (a nil value
// deletes the claim).
func jsClaims(t testing.TB, changes map[string]any) string {
	now := time.Now().Unix()
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
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsSource builds a jwt source with the HMAC test key.
func jsSource(t testing.TB, mod func(c *JWTConfig)) *jwtSource {
	t.Helper()
	cfg := DefaultJWTConfig()
	cfg.HMACSecret = jsSecret
	cfg.Issuer = "https://issuer.example"
	cfg.Audience = []string{"api", "other-api"}
	if mod != nil {
		mod(&cfg)
	}
	s, err := newJWTSource(context.Background(), &cfg, nil, nil)
	if err != nil {
		t.Fatalf("newJWTSource: %v", err)
	}
	t.Cleanup(func() { s.v.Close() })
	return s
}

func TestJWTUserMapping(t *testing.T) {
	v := jsSource(t, nil)
	vs := jsSource(t, func(c *JWTConfig) {
		c.UserIDClaim = "client_id"
		c.PermissionsClaim = "scope"
		c.GroupsClaim = "roles"
	})
	exp := strconv.FormatInt(time.Now().Unix()+3600, 10)
	cases := []struct {
		name    string
		v       *jwtSource
		claims  map[string]any
		raw     string // raw claims JSON, instead of claims
		id      string
		groups  string
		perms   string
		anonymy bool
	}{
		{name: "defaults", v: v, id: "alice", groups: "admin,ops", perms: "users:read"},
		{name: "numeric sub", v: v, raw: `{"sub":12345678901234567890,"iss":"https://issuer.example","aud":"api","exp":` + exp + `}`, id: "12345678901234567890"},
		{name: "exponent sub", v: v, raw: `{"sub":1e3,"iss":"https://issuer.example","aud":"api","exp":` + exp + `}`, id: "1000"},
		{name: "fraction sub", v: v, raw: `{"sub":1.5,"iss":"https://issuer.example","aud":"api","exp":` + exp + `}`, id: "1.5"},
		{name: "no sub", v: v, claims: map[string]any{"sub": nil}, anonymy: true},
		{name: "empty sub", v: v, claims: map[string]any{"sub": ""}, anonymy: true},
		{name: "object sub", v: v, claims: map[string]any{"sub": map[string]any{"a": 1}}, anonymy: true},
		{name: "groups as a string", v: v, claims: map[string]any{"groups": " a  b "}, id: "alice", groups: "a,b", perms: "users:read"},
		{name: "groups with non-strings", v: v, claims: map[string]any{"groups": []any{"a", 1, "b"}}, id: "alice", groups: "a,b", perms: "users:read"},
		{name: "no groups", v: v, claims: map[string]any{"groups": nil, "permissions": nil}, id: "alice"},
		{name: "scope as permissions", v: vs, claims: map[string]any{"client_id": "svc", "scope": "read:users write:users", "roles": []string{"r"}}, id: "svc", groups: "r", perms: "read:users,write:users"},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw
			if raw == "" {
				raw = jsClaims(t, tc.claims)
			}
			r := httptest.NewRequest("GET", "/x", nil)
			r.Header.Set("Authorization", "Bearer "+hs256(jsSecret, raw))
			u, err := tc.v.identify(r, false)
			if err != nil {
				t.Fatalf("identify: %v", err)
			}
			if tc.anonymy {
				if u.ID != "" || u.Properties != nil {
					t.Fatalf("user = %+v, want anonymous", u)
				}
				return
			}
			if u.ID != tc.id || strings.Join(u.Groups, ",") != tc.groups || strings.Join(u.Permissions, ",") != tc.perms {
				t.Fatalf("user = %q %q %q, want %q %q %q", u.ID, u.Groups, u.Permissions, tc.id, tc.groups, tc.perms)
			}
			if u.Properties["iss"] != "https://issuer.example" {
				t.Fatalf("properties = %v", u.Properties)
			}
		})
	}
}

func TestJWTIdentify(t *testing.T) {
	v := jsSource(t, nil)
	valid := hs256(jsSecret, jsClaims(t, nil))
	cases := []struct {
		name    string
		headers []string
		id      string
		err     error
	}{
		{name: "no header"},
		{name: "Basic", headers: []string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}},
		{name: "other scheme looking like Bearer", headers: []string{"Bearerx " + valid}},
		{name: "Bearer", headers: []string{"Bearer " + valid}, id: "alice"},
		{name: "lower-case bearer", headers: []string{"bearer " + valid}, id: "alice"},
		{name: "upper-case BEARER with spaces", headers: []string{"  BEARER   " + valid + " "}, id: "alice"},
		{name: "Bearer without token", headers: []string{"Bearer"}, err: errInvalidToken},
		{name: "Bearer with blank token", headers: []string{"Bearer   "}, err: errInvalidToken},
		{name: "garbage", headers: []string{"Bearer garbage"}, err: errInvalidToken},
		{name: "expired", headers: []string{"Bearer " + hs256(jsSecret, jsClaims(t, map[string]any{"exp": time.Now().Unix() - 3600}))}, err: errInvalidToken},
		{name: "two Authorization headers", headers: []string{"Bearer " + valid, "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, err: errInvalidToken},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			for _, h := range tc.headers {
				r.Header.Add("Authorization", h)
			}
			u, err := v.identify(r, false)
			if err != tc.err {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if u.ID != tc.id {
				t.Fatalf("id = %q, want %q", u.ID, tc.id)
			}
			if err != nil && (u.ID != "" || u.Properties != nil) {
				t.Fatalf("user with an error: %+v", u)
			}
		})
	}
}

func TestJWTSourceConfigErrors(t *testing.T) {
	cfg := DefaultJWTConfig()
	cfg.HMACSecret = jsSecret
	cfg.UserIDClaim = ""
	if _, err := newJWTSource(context.Background(), &cfg, nil, nil); err == nil || !strings.Contains(err.Error(), "user_id_claim") {
		t.Fatalf("empty user_id_claim: err = %v", err)
	}
}

func TestJWTExportedVerifier(t *testing.T) {
	cfg := DefaultJWTConfig()
	cfg.HMACSecret = jsSecret
	v, err := NewJWTVerifier(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	u, err := v.Verify(hs256(jsSecret, `{"sub":"bob","exp":`+exp+`,"groups":["g"]}`))
	if err != nil || u.ID != "bob" || len(u.Groups) != 1 {
		t.Fatalf("Verify = %+v, %v", u, err)
	}
	if _, err := v.Verify("x.y.z"); err == nil {
		t.Fatal("garbage verified")
	}
	if _, err := NewJWTVerifier(context.Background(), DefaultJWTConfig(), nil); err == nil {
		t.Fatal("no key source accepted")
	}
}

// BenchmarkJWTIdentify measures the jwt identity source end to end — bearer
// extraction, verification and the claims-to-user mapping — with HS256, so
// that the signature costs little and the rest shows.
func BenchmarkJWTIdentify(b *testing.B) {
	s := jsSource(b, nil)
	r := httptest.NewRequest("GET", "/api/users", nil)
	r.Header.Set("Authorization", "Bearer "+hs256(jsSecret, jsClaims(b, nil)))
	if u, err := s.identify(r, false); err != nil || u.ID != "alice" {
		b.Fatalf("identify: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.identify(r, false); err != nil {
			b.Fatal(err)
		}
	}
}

package traefikauthz

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJWTIssuersList: jwt as a list, one block per issuer with its own
// audience and claim mapping; identityOrder with userinfo; tokenFrom with
// a query token removed before the next handler.
func TestJWTIssuersList(t *testing.T) {
	sa, sb := strings.Repeat("a", 32), strings.Repeat("b", 32)
	exp := time.Now().Add(time.Hour).Unix()
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err == nil && c.Value == "s1" {
			w.Write([]byte(`{"sub":"browser","groups":["admin"]}`))
			return
		}
		w.WriteHeader(401)
	}))
	defer idp.Close()
	c := CreateConfig()
	c.UserinfoURL = idp.URL
	c.IdentityOrder = []string{"jwt, userinfo"}
	c.JWT = []JWT{
		{HMACSecret: sa, Issuer: "https://staff", Audience: []string{"staff"}, UserIDClaim: "preferred_username", GroupsClaim: "roles",
			TokenFrom: []string{"header:Authorization,query:access_token"}},
		{HMACSecret: sb, Issuer: "https://machines", Audience: []string{"machines"}, UserIDClaim: "client_id"},
	}
	c.Rules = []Rule{{Method: "ALL", Path: "/", Expression: "groups.admin"}}
	staff := hs256(t, sa, map[string]any{"iss": "https://staff", "aud": "staff", "preferred_username": "ann", "roles": []string{"admin"}, "exp": exp})
	machine := hs256(t, sb, map[string]any{"iss": "https://machines", "aud": "machines", "client_id": "billing", "groups": []string{"admin"}, "exp": exp})
	machineAsStaff := hs256(t, sb, map[string]any{"iss": "https://machines", "aud": "staff", "client_id": "billing", "groups": []string{"admin"}, "exp": exp})
	cases := []struct {
		name, target, auth, cookie string
		status                     int
		user, upstreamURI          string
	}{
		{"staff", "/x", "Bearer " + staff, "", 200, "ann", "/x"},
		{"machine", "/x", "Bearer " + machine, "", 200, "billing", "/x"},
		{"machine under the staff audience", "/x", "Bearer " + machineAsStaff, "", 401, "", ""},
		{"query token removed", "/x?a=1&access_token=" + staff, "", "", 200, "ann", "/x?a=1"},
		{"session cookie through userinfo", "/x", "", "s1", 200, "browser", "/x"},
		{"nobody", "/x", "", "", 401, "", ""},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		next := &seen{}
		h := mustNew(t, c, next)
		r := get(tc.target)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: "sid", Value: tc.cookie})
		}
		rec := serve(h, r)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.status)
			continue
		}
		if tc.status == 200 && (next.req.Header.Get("Miauserid") != tc.user || next.req.RequestURI != tc.upstreamURI || next.req.URL.RequestURI() != tc.upstreamURI) {
			t.Errorf("%s: upstream user %q URI %q/%q, want %q %q", tc.name, next.req.Header.Get("Miauserid"), next.req.RequestURI, next.req.URL.RequestURI(), tc.user, tc.upstreamURI)
		}
	}
}

// TestTokenEndpointRotationAndLimit: signingKey (comma-separated) and
// signingKeys publish every key; maxFailures and failureWindow apply.
func TestTokenEndpointRotationAndLimit(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"new.pem", "old.pem", "older.pem"} {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	c := CreateConfig()
	c.TokenEndpoint = &TokenEndpoint{SigningKey: files[0] + ", " + files[1], SigningKeys: []string{files[2]}, KeyID: "k3,k2", KeyIDs: []string{"k1"},
		MaxFailures: 2, FailureWindow: "1m", Clients: []TokenClient{{ID: "svc", Secret: "s3cr3t-s3cr3t"}}}
	h := mustNew(t, c, okHandler())
	rec := serve(h, get("/.well-known/jwks.json"))
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || len(doc.Keys) != 3 || doc.Keys[0]["kid"] != "k3" || doc.Keys[2]["kid"] != "k1" {
		t.Fatalf("JWKS %s", rec.Body.String())
	}
	post := func(secret string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader("grant_type=client_credentials&client_id=svc&client_secret="+secret))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return serve(h, r)
	}
	for i, want := range []int{401, 401, 429} {
		if rec := post("wrong"); rec.Code != want {
			t.Fatalf("attempt %d: %d, want %d", i+1, rec.Code, want)
		}
	}
	if rec := post("s3cr3t-s3cr3t"); rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("correct secret while blocked: %d %v", rec.Code, rec.Header())
	}
}

package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func hs256(secret, claims string) string {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(claims))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

// TestJWTDecision: a valid token is a user; no token is anonymous; a present
// but invalid token is 401 with a Bearer challenge, also on public routes
// and in non-strict mode.
func TestJWTDecision(t *testing.T) {
	secret := "0123456789abcdef0123456789abcdef"
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	good := hs256(secret, `{"sub":"c1","groups":["admin"],"scope":"users:read users:write","exp":`+exp+`}`)
	expired := hs256(secret, `{"sub":"c1","exp":1000}`)
	noExp := hs256(secret, `{"sub":"c1","groups":["admin"],"scope":"users:read users:write"}`)
	forged := hs256("another-secret-another-secret-xx", `{"sub":"c1","exp":`+exp+`}`)
	for _, strict := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.Strict = strict
		jc := DefaultJWTConfig()
		jc.HMACSecret = secret
		jc.PermissionsClaim = "scope"
		cfg.JWT = &jc
		cfg.RulesJSON = `{"/": {"GET": {"authorization": {"expression": "true", "public": true}}},
		  "/admin/": {"ALL": {"authorization": {"expression": "groups.admin && permissions[\"users:write\"]", "public": false}}}}`
		a, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			path, auth string
			status     int
			user       string
			challenge  bool
		}{
			{"/admin/x", "Bearer " + good, 200, "c1", false},
			{"/admin/x", "bearer " + good, 200, "c1", false},
			{"/", "", 200, "", false},
			{"/", "Basic dTpw", 200, "", false},
			{"/", "Bearer " + expired, 401, "", true},
			{"/", "Bearer " + forged, 401, "", true},
			{"/", "Bearer " + noExp, 401, "", true},
			{"/admin/x", "Bearer " + noExp, 401, "", true},
			{"/", "Bearer not.a.jwt", 401, "", true},
			{"/admin/x", "Bearer " + forged, 401, "", true},
		}
		for i := 0; i < len(cases); i++ {
			tc := cases[i]
			r := httptest.NewRequest("GET", tc.path, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			d := a.Authorize(r)
			if d.Status != tc.status || d.User.ID != tc.user {
				t.Errorf("strict %v %s %.20q: status %d user %q", strict, tc.path, tc.auth, d.Status, d.User.ID)
			}
			if tc.challenge {
				w := httptest.NewRecorder()
				a.Respond(w, &d)
				if got := w.Header().Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
					t.Errorf("challenge %q", got)
				}
			}
		}
		a.Close()
	}
}

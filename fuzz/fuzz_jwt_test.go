package fuzz

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aclgate/aclgate/core"
)

// jwtSeeds are valid and broken compact JWS: RFC 7515 A.1–A.3, RFC 8037
// A.4, alg none, duplicates, padding, and junk.
var jwtSeeds = []string{
	"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
	"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
	"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
	jwtSeg(`{"alg":"none"}`) + "." + jwtSeg(`{"sub":"a"}`) + ".",
	jwtSeg(`{"alg":"HS256","alg":"none"}`) + "." + jwtSeg(`{"sub":"a"}`) + ".c2ln",
	jwtSeg(`{"alg":"HS256"}`) + "." + jwtSeg(`{"sub":"a","sub":"b"}`) + ".c2ln",
	jwtSeg(`{"alg":"HS256","crit":["b64"],"b64":false}`) + "." + jwtSeg(`{}`) + ".c2ln",
	jwtSeg(`{"alg":"HS256","kid":{"a":[1,2,{"b":null}]}}`) + "." + jwtSeg(`{"exp":1e400,"n":-0.0e-7}`) + ".c2ln",
	jwtSeg(`{"alg":"RS256"}`) + "=." + jwtSeg(`{}`) + ".c2ln",
	"a.b.c", "..", "...", "", "e30.e30.e30", "+/=.+/=.+/=",
}

func jwtSeg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// FuzzParseJWT: the decoder never panics, and what it accepts is
// consistent: a signing input that prefixes the token, a signature, an alg
// other than none, non-nil header and claims.
func FuzzParseJWT(f *testing.F) {
	for _, s := range jwtSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		j, err := core.ParseJWT(tok)
		if err != nil {
			if j != nil {
				t.Fatal("a JWT with an error")
			}
			if strings.Contains(err.Error(), tok) && len(tok) > 8 {
				t.Fatal("the error repeats the token")
			}
			return
		}
		if len(tok) > core.MaxJWTSize {
			t.Fatalf("accepted %d bytes", len(tok))
		}
		if !strings.HasPrefix(tok, j.SigningInput+".") || strings.Count(tok, ".") != 2 {
			t.Fatalf("signing input %q of %q", j.SigningInput, tok)
		}
		if j.Alg == "" || strings.EqualFold(j.Alg, "none") || j.Header == nil || j.Claims == nil || len(j.Signature) == 0 {
			t.Fatalf("accepted %q: %+v", tok, j)
		}
		if j.Header["alg"] != j.Alg {
			t.Fatalf("alg %q vs header %v", j.Alg, j.Header["alg"])
		}
		if _, crit := j.Header["crit"]; crit {
			t.Fatal("crit accepted")
		}
	})
}

// FuzzJWTVerify: verification never panics and never accepts a token that
// is not HS256-signed with the key (the fuzzer cannot forge HMAC, so any
// success must come from a seed we signed ourselves).
func FuzzJWTVerify(f *testing.F) {
	const secret = "0123456789abcdef0123456789abcdef"
	sign := func(header, claims string) string {
		in := jwtSeg(header) + "." + jwtSeg(claims)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	good := sign(`{"alg":"HS256"}`, `{"sub":"alice","groups":["a"],"scope":"x y"}`)
	f.Add(good)
	f.Add(sign(`{"alg":"HS256","typ":"JWT"}`, `{"sub":7,"exp":1e300,"nbf":-1,"iat":0.5}`))
	for _, s := range jwtSeeds {
		f.Add(s)
	}
	cfg := core.DefaultJWTConfig()
	cfg.HMACSecret = secret
	cfg.PermissionsClaim = "scope"
	v, err := core.NewJWTVerifier(context.Background(), cfg, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		u, err := v.Verify(tok)
		if err != nil {
			if u.ID != "" || u.Properties != nil {
				t.Fatal("a user with an error")
			}
			return
		}
		j, perr := core.ParseJWT(tok)
		if perr != nil || j.Alg != "HS256" {
			t.Fatalf("verified a token ParseJWT refuses: %v", perr)
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(j.SigningInput))
		if !hmac.Equal(m.Sum(nil), j.Signature) {
			t.Fatal("verified a token with a wrong MAC")
		}
	})
}

// FuzzTokenEndpoint: any body and Authorization header give one of the
// statuses of SPEC §8 with a JSON body and no-store, never a panic.
func FuzzTokenEndpoint(f *testing.F) {
	cfg := core.DefaultTokenConfig()
	cfg.Clients = []core.TokenClient{{ID: "svc", Secret: "secret", Scopes: []string{"read", "write"}}}
	iss, err := core.NewTokenIssuer(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=svc&client_secret=secret", "")
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials&scope=read", "Basic c3ZjOnNlY3JldA==")
	f.Add("application/json", `{"grant_type":"client_credentials","client_id":"svc","client_secret":"secret"}`, "")
	f.Add("application/json", `{"grant_type":1,"grant_type":2}`, "Basic !!")
	f.Add("text/plain", "%zz&&==;", "Bearer x")
	f.Fuzz(func(t *testing.T, ct, body, auth string) {
		r := httptest.NewRequest("POST", core.DefaultTokenPath, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		if !iss.ServeHTTP(w, r) {
			t.Fatal("not handled")
		}
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized:
		default:
			t.Fatalf("status %d", w.Code)
		}
		if w.Header().Get("Cache-Control") != "no-store" || !strings.HasPrefix(w.Body.String(), "{") {
			t.Fatalf("headers %v body %q", w.Header(), w.Body.String())
		}
		if strings.Contains(w.Body.String(), "secret\"") {
			t.Fatal("secret in the body")
		}
	})
}

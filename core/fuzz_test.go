package core

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aclgate/aclgate/core/jose"
)

// FuzzCanonicalPath checks the canonical-path invariants on arbitrary input:
// no panic; a canonical path starts with "/", holds no dot segment, no
// empty segment but a trailing one, no backslash and no control byte; and
// canonicalising it again (re-escaping '%') is a fixed point.
func FuzzCanonicalPath(f *testing.F) {
	seeds := []string{"/", "/a/b", "//a", "/a/../b", "/%2e%2e/x", "/a%2Fb", "/a%5c", "/a/./b/", "/..", "/%00", "/caf%C3%A9", "/a%", "/a/%2e/", "/admin;jsessionid=x", "/public/..;/admin", "/a%3Bb", "/%252e%252e/x", "/100%25"}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := CanonicalPath(in)
		if err != nil {
			return
		}
		if !strings.HasPrefix(out, "/") {
			t.Fatalf("%q -> %q: no leading slash", in, out)
		}
		if strings.Contains(out, "//") || strings.Contains(out, "\\") || strings.Contains(out, ";") {
			t.Fatalf("%q -> %q: empty segment, backslash or ';'", in, out)
		}
		segs := strings.Split(out[1:], "/")
		for _, s := range segs {
			if s == "." || s == ".." {
				t.Fatalf("%q -> %q: dot segment", in, out)
			}
		}
		for i := 0; i < len(out); i++ {
			if out[i] < 0x20 || out[i] == 0x7f {
				t.Fatalf("%q -> %q: control byte", in, out)
			}
		}
		again, err := CanonicalPath(strings.ReplaceAll(out, "%", "%25"))
		if err != nil || again != out {
			t.Fatalf("%q -> %q -> %q, %v: not a fixed point", in, out, again, err)
		}
	})
}

// fuzzJWTSeeds are valid and broken compact JWS: RFC 7515 A.1–A.3, RFC 8037
// A.4, alg none, duplicates, padding, and junk.
var fuzzJWTSeeds = []string{
	"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
	"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
	"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
	fuzzSeg(`{"alg":"none"}`) + "." + fuzzSeg(`{"sub":"a"}`) + ".",
	fuzzSeg(`{"alg":"HS256","alg":"none"}`) + "." + fuzzSeg(`{"sub":"a"}`) + ".c2ln",
	fuzzSeg(`{"alg":"HS256"}`) + "." + fuzzSeg(`{"sub":"a","sub":"b"}`) + ".c2ln",
	fuzzSeg(`{"alg":"HS256","crit":["b64"],"b64":false}`) + "." + fuzzSeg(`{}`) + ".c2ln",
	fuzzSeg(`{"alg":"HS256","kid":{"a":[1,2,{"b":null}]}}`) + "." + fuzzSeg(`{"exp":1e400,"n":-0.0e-7}`) + ".c2ln",
	fuzzSeg(`{"alg":"RS256"}`) + "=." + fuzzSeg(`{}`) + ".c2ln",
	"a.b.c", "..", "...", "", "e30.e30.e30", "+/=.+/=.+/=",
}

func fuzzSeg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// FuzzJWTVerify: verification never panics and never accepts a token that
// is not HS256-signed with the key (the fuzzer cannot forge HMAC, so any
// success must come from a seed we signed ourselves).
func FuzzJWTVerify(f *testing.F) {
	const secret = "0123456789abcdef0123456789abcdef"
	seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	sign := func(header, claims string) string {
		in := seg(header) + "." + seg(claims)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	good := sign(`{"alg":"HS256"}`, `{"sub":"alice","groups":["a"],"scope":"x y"}`)
	f.Add(good)
	f.Add(sign(`{"alg":"HS256","typ":"JWT"}`, `{"sub":7,"exp":1e300,"nbf":-1,"iat":0.5}`))
	for _, s := range fuzzJWTSeeds {
		f.Add(s)
	}
	cfg := DefaultJWTConfig()
	cfg.HMACSecret = secret
	cfg.PermissionsClaim = "scope"
	v, err := NewJWTVerifier(context.Background(), cfg, nil)
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
		j, perr := jose.ParseJWT(tok)
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

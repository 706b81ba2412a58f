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
	f.Add(seg(`{"alg":"none"}`) + "." + seg(`{"sub":"a"}`) + ".")
	f.Add(seg(`{"alg":"HS256"}`) + "." + seg(`{"sub":"a","sub":"b"}`) + ".c2ln")
	f.Add("a.b.c")
	f.Add("")
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

package jose

import (
	"encoding/base64"
	"strings"
	"testing"
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
		j, err := ParseJWT(tok)
		if err != nil {
			if j != nil {
				t.Fatal("a JWT with an error")
			}
			if strings.Contains(err.Error(), tok) && len(tok) > 8 {
				t.Fatal("the error repeats the token")
			}
			return
		}
		if len(tok) > MaxJWTSize {
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

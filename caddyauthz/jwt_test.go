package caddyauthz

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/aclgate/aclgate/core"
)

func TestJWTBlocksJSON(t *testing.T) {
	cases := []struct {
		name, in string
		issuers  string // issuers of the blocks, comma-separated
		out      string // re-encoded
		err      string
	}{
		{"one object", `{"jwt":{"issuer":"a","hmac_secret":"s"}}`, "a", `{"jwt":{"hmac_secret":"s","issuer":"a"}}`, ""},
		{"a list", `{"jwt":[{"issuer":"a"},{"issuer":"b","token_from":["cookie:at"]}]}`, "a,b", `{"jwt":[{"issuer":"a"},{"token_from":["cookie:at"],"issuer":"b"}]}`, ""},
		{"a list of one", `{"jwt":[{"issuer":"a"}]}`, "a", `{"jwt":{"issuer":"a"}}`, ""},
		{"null", `{"jwt":null}`, "", `{}`, ""},
		{"unknown field in the object", `{"jwt":{"isuer":"a"}}`, "", "", `unknown field "isuer"`},
		{"unknown field in the list", `{"jwt":[{"issuer":"a"},{"jwks":"b"}]}`, "", "", `unknown field "jwks"`},
		{"a string", `{"jwt":"a"}`, "", "", "want an object or a list of objects"},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			var a Authz
			err := json.Unmarshal([]byte(tc.in), &a)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var iss []string
			for _, b := range a.JWT {
				iss = append(iss, b.Issuer)
			}
			if strings.Join(iss, ",") != tc.issuers {
				t.Fatalf("issuers %v, want %s", iss, tc.issuers)
			}
			out, _ := json.Marshal(a)
			if string(out) != tc.out {
				t.Fatalf("re-encoded %s, want %s", out, tc.out)
			}
		})
	}
}

func TestStringListJSON(t *testing.T) {
	cases := []struct{ in, want, out string }{
		{`{"signing_key":"a.pem"}`, "a.pem", `{"signing_key":"a.pem"}`},
		{`{"signing_key":["b.pem","a.pem"],"key_id":["k2","k1"]}`, "b.pem a.pem", `{"signing_key":["b.pem","a.pem"],"key_id":["k2","k1"]}`},
	}
	for _, tc := range cases {
		var tk Token
		if err := json.Unmarshal([]byte(tc.in), &tk); err != nil {
			t.Fatal(err)
		}
		if strings.Join(tk.SigningKey, " ") != tc.want {
			t.Errorf("%s: %v", tc.in, tk.SigningKey)
		}
		if out, _ := json.Marshal(tk); string(out) != tc.out {
			t.Errorf("%s re-encoded %s", tc.in, out)
		}
	}
	var tk Token
	if err := json.Unmarshal([]byte(`{"signing_key":7}`), &tk); err == nil {
		t.Error("a number as signing_key")
	}
}

// TestJWTBlocksCoreConfig: one block stays cfg.JWT; several become
// JWTIssuers named by position; identity_order and token_from accept
// placeholders holding space- or comma-separated lists.
func TestJWTBlocksCoreConfig(t *testing.T) {
	t.Setenv("AZ_ORDER", "jwt userinfo")
	t.Setenv("AZ_FROM", "header:Authorization,cookie:at")
	one := &Authz{JWT: JWTBlocks{{HMACSecret: "s", TokenFrom: []string{"{env.AZ_FROM}"}}}, IdentityOrder: []string{"{env.AZ_ORDER}"}}
	cfg, err := one.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JWT == nil || cfg.JWTIssuers != nil || strings.Join(cfg.JWT.TokenFrom, " ") != "header:Authorization cookie:at" || strings.Join(cfg.IdentityOrder, ",") != "jwt,userinfo" {
		t.Fatalf("one block: %+v %+v", cfg.JWT, cfg.IdentityOrder)
	}
	two := &Authz{JWT: JWTBlocks{{Issuer: "a", HMACSecret: "0123456789abcdef0123456789abcdef"}, {HMACSecret: "0123456789abcdef0123456789abcdef"}}}
	cfg, err = two.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JWT != nil || len(cfg.JWTIssuers) != 2 || cfg.JWTIssuers[1].Name != "jwt block 2" {
		t.Fatalf("two blocks: %+v", cfg.JWTIssuers)
	}
	cfg.RulesJSON = `{}`
	if _, err := core.New(cfg); err == nil || !strings.Contains(err.Error(), "jwt block 2: issuer is required") {
		t.Fatalf("second block without issuer: %v", err)
	}
}

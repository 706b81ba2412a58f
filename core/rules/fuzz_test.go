package rules

import (
	"strings"
	"testing"
)

// FuzzLoad: the rules loader, on any document and any inline rule, never
// panics; an error names its source; a loaded set answers Lookup for every
// key it holds (a key is a canonical path, so it matches itself) and for
// arbitrary paths without panicking.
func FuzzLoad(f *testing.F) {
	f.Add(`{"/": {"GET": {"authorization": {"expression": "true", "public": true}}}}`, "GET", "/x", "groups.admin")
	f.Add(`{"/users/:id": {"ALL": {"authorization": {"expression": "groups.a || permissions[\"b:c\"]", "public": false},
		"backofficeAuthorization": {"expression": "isBackoffice", "public": false}}}}`, "POST", "/users/", "true")
	f.Add(`{"/a/{b}/c/": {"HEAD": {"backofficeAuthorization": {"expression": "clientType == 'x'", "public": true}}}}`, "ALL", "/a/:b", "user.x.y")
	f.Add(`{"/api/*": {"GET": {"authorization": {"expression": "true", "public": true}}}}`, "GET", "/a;b", "(")
	f.Add(`{"/x": {"GET": {"authorization": {"expression": "true", "public": true, "public": false}}}}`, "get", "/%20", "")
	f.Add(`{"/x": 1} {}`, "DELETE", "//", "!!")
	f.Fuzz(func(t *testing.T, doc, method, path, expression string) {
		set, err := Load(Source{JSON: doc, Rules: []Rule{{Method: method, Path: path, Expression: expression, Public: len(expression)%2 == 0}}})
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "rules_json") && !strings.HasPrefix(msg, "rule[") {
				t.Fatalf("error without its source: %q", msg)
			}
			return
		}
		for i := 0; i < len(set.routes); i++ {
			rt := set.routes[i]
			if strings.ContainsAny(rt.key, "%;?#*\\ \t\r\n\x00\x7f") || strings.Contains(rt.key, "//") {
				t.Fatalf("loaded a key no request path can equal: %q", rt.key)
			}
			if rt.literal && !routeMatch(rt, rt.key) {
				t.Fatalf("key %q does not match itself", rt.key)
			}
		}
		for _, m := range []string{"GET", "HEAD", "POST", method} {
			for _, bo := range []bool{false, true} {
				Lookup(set, path, m, bo)
				Lookup(set, doc, m, bo)
				Lookup(set, "", m, bo)
				Lookup(set, "/", m, bo)
			}
		}
	})
}

package rules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRouteMatch(t *testing.T) {
	cases := []struct {
		key, path string
		want      bool
	}{
		{"/", "/", true},
		{"/", "/anything/below", true},
		{"/users", "/users", true},
		{"/users", "/users/", false},
		{"/users", "/users/7", false},
		{"/users", "/users-internal", false},
		{"/users/", "/users", true},
		{"/users/", "/users/", true},
		{"/users/", "/users/7", true},
		{"/users/", "/users/7/roles/", true},
		{"/users/", "/users-internal", false},
		{"/users/", "/usersx/7", false},
		{"/users/:id", "/users/7", true},
		{"/users/{id}", "/users/7", true},
		{"/users/:id", "/users/", false},
		{"/users/:id", "/users", false},
		{"/users/:id", "/users/7/", false},
		{"/users/:id", "/users/7/roles", false},
		{"/users/:id/", "/users/7/roles", true},
		{"/users/:id/roles", "/users/7/roles", true},
		{"/users/:id/roles", "/users//roles", false},
		{"/a/b/c", "/a/b", false},
		{"/a/b/", "/a", false},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		rt, err := parseRouteKey(tc.key)
		if err != nil {
			t.Fatalf("parseRouteKey(%q): %v", tc.key, err)
		}
		if got := rt.match(tc.path); got != tc.want {
			t.Errorf("key %q path %q: match = %v, want %v", tc.key, tc.path, got, tc.want)
		}
	}
}

// specificityRules has one rule per key; the expression names the key so
// the test can tell which one was chosen.
const specificityRules = `{
  "/":               {"ALL": {"authorization": {"expression": "true", "public": true}}},
  "/users/":         {"ALL": {"authorization": {"expression": "true", "public": true}}},
  "/users":          {"GET": {"authorization": {"expression": "true", "public": true}}},
  "/users/:id":      {"GET": {"authorization": {"expression": "true", "public": true}}},
  "/users/me":       {"GET": {"authorization": {"expression": "true", "public": true}}},
  "/users/:id/":     {"ALL": {"authorization": {"expression": "true", "public": true}}},
  "/users/me/roles": {"POST": {"authorization": {"expression": "true", "public": true}}},
  "/a/:x/c":         {"GET": {"authorization": {"expression": "true", "public": true}}},
  "/a/b/:y":         {"GET": {"authorization": {"expression": "true", "public": true}}},
  "/m":              {"GET": {"authorization": {"expression": "true", "public": true}},
                      "ALL": {"authorization": {"expression": "true", "public": true}}},
  "/h":              {"GET": {"authorization": {"expression": "true", "public": true}}},
  "/ha":             {"GET": {"authorization": {"expression": "true", "public": true}},
                      "ALL": {"authorization": {"expression": "true", "public": true}}},
  "/bo/":            {"GET": {"backofficeAuthorization": {"expression": "true", "public": true}}},
  "/bo/x":           {"GET": {"backofficeAuthorization": {"expression": "true", "public": true}}},
  "/both":           {"GET": {"authorization": {"expression": "true", "public": true},
                              "backofficeAuthorization": {"expression": "true", "public": true}}},
  "/opt":            {"OPTIONS": {"authorization": {"expression": "true", "public": true}}}
}`

func TestRuleSelection(t *testing.T) {
	var cfg Source
	cfg.JSON = specificityRules
	rs, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method, path string
		backoffice   bool
		want         string // "" = route not found
	}{
		{"GET", "/users", false, "GET /users"},
		{"POST", "/users", false, "ALL /users/"}, // exact key has no POST: fall through
		{"GET", "/users/", false, "ALL /users/"},
		{"GET", "/users/7", false, "GET /users/:id"},
		{"GET", "/users/me", false, "GET /users/me"}, // literal beats parameter
		{"DELETE", "/users/7", false, "ALL /users/:id/"},
		{"GET", "/users/7/roles", false, "ALL /users/:id/"}, // longer prefix beats shorter
		{"POST", "/users/me/roles", false, "POST /users/me/roles"},
		{"GET", "/users/me/roles", false, "ALL /users/:id/"},
		{"GET", "/users-internal", false, "ALL /"}, // segment boundary
		{"GET", "/a/b/c", false, "GET /a/b/:y"},    // literal first at segment 2
		{"GET", "/a/z/c", false, "GET /a/:x/c"},
		{"GET", "/m", false, "GET /m"}, // method block beats ALL
		{"PUT", "/m", false, "ALL /m"},
		{"OPTIONS", "/m", false, "ALL /m"},
		{"HEAD", "/h", false, "GET /h"},   // HEAD -> GET
		{"HEAD", "/ha", false, "ALL /ha"}, // ALL before the GET fallback
		{"get", "/users", false, ""},      // case-sensitive methods
		{"TRACE", "/users", false, ""},
		{"CONNECT", "/", false, ""},
		{"OPTIONS", "/opt", false, "OPTIONS /opt"},
		// backoffice: backofficeAuthorization if present, else authorization
		{"GET", "/both", true, "GET /both"},
		{"GET", "/bo/x", true, "GET /bo/x"},
		{"GET", "/bo/x", false, "ALL /"}, // only backofficeAuthorization: next key
		{"GET", "/users", true, "GET /users"},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		az := Lookup(rs, tc.path, tc.method, tc.backoffice)
		got := ""
		if az != nil {
			got = az.Route
		}
		if got != tc.want {
			t.Errorf("%s %s (backoffice %v): got %q, want %q", tc.method, tc.path, tc.backoffice, got, tc.want)
		}
	}
	// backofficeAuthorization is the one chosen for backoffice requests
	az := Lookup(rs, "/both", "GET", true)
	if az != rs.routesByKey("/both").blocks[methodGET].back {
		t.Error("backoffice request did not use backofficeAuthorization")
	}
	if Lookup(rs, "/both", "GET", false) != rs.routesByKey("/both").blocks[methodGET].front {
		t.Error("frontend request did not use authorization")
	}
}

func (s *Set) routesByKey(key string) *route {
	for i := 0; i < len(s.routes); i++ {
		if s.routes[i].key == key {
			return s.routes[i]
		}
	}
	return nil
}

func TestNoRulesMeansNotFound(t *testing.T) {
	var cfg Source
	rs, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if Lookup(rs, "/", "GET", false) != nil {
		t.Error("empty rule set matched")
	}
}

func TestRuleErrors(t *testing.T) {
	auth := `{"expression": "true", "public": true}`
	cases := []struct {
		name, json string
		want       []string
	}{
		{"not an object", `[]`, []string{"rules_json", "expected a JSON object"}},
		{"invalid json", `{"/": `, []string{"rules_json", "invalid JSON"}},
		{"path without slash", `{"users": {"GET": {"authorization": ` + auth + `}}}`, []string{`path "users"`, "start with /"}},
		{"unknown method", `{"/x": {"FETCH": {"authorization": ` + auth + `}}}`, []string{`path "/x"`, `method "FETCH"`, "unknown method"}},
		{"lowercase method", `{"/x": {"get": {"authorization": ` + auth + `}}}`, []string{`method "get"`, "unknown method"}},
		{"unknown block key", `{"/x": {"GET": {"authorisation": ` + auth + `}}}`, []string{`method "GET"`, `field "authorisation"`, "unknown field"}},
		{"unknown auth key", `{"/x": {"GET": {"authorization": {"expression": "true", "public": true, "extra": 1}}}}`, []string{`field "authorization.extra"`}},
		{"missing expression", `{"/x": {"GET": {"authorization": {"public": true}}}}`, []string{`path "/x"`, `method "GET"`, `field "authorization.expression"`, "missing"}},
		{"missing public", `{"/x": {"POST": {"backofficeAuthorization": {"expression": "true"}}}}`, []string{`method "POST"`, `field "backofficeAuthorization.public"`, "missing"}},
		{"public not bool", `{"/x": {"GET": {"authorization": {"expression": "true", "public": "yes"}}}}`, []string{`field "authorization.public"`, "true or false"}},
		{"expression not string", `{"/x": {"GET": {"authorization": {"expression": true, "public": true}}}}`, []string{`field "authorization.expression"`, "must be a string"}},
		{"empty block", `{"/x": {"GET": {}}}`, []string{`method "GET"`, "needs authorization"}},
		{"duplicate path", `{"/x": {"GET": {"authorization": ` + auth + `}}, "/x": {"POST": {"authorization": ` + auth + `}}}`, []string{`path "/x"`, "twice"}},
		{"duplicate method", `{"/x": {"GET": {"authorization": ` + auth + `}, "GET": {"authorization": ` + auth + `}}}`, []string{`method "GET"`, "twice"}},
		{"same pattern twice", `{"/u/:id": {"GET": {"authorization": ` + auth + `}}, "/u/{x}": {"GET": {"authorization": ` + auth + `}}}`, []string{`path "/u/{x}"`, `method "GET"`, "twice"}},
		{"empty segment", `{"/a//b": {"GET": {"authorization": ` + auth + `}}}`, []string{`path "/a//b"`, "empty path segment"}},
		{"dot segment", `{"/a/../b": {"GET": {"authorization": ` + auth + `}}}`, []string{"dot segments"}},
		{"trailing data", `{} {}`, []string{"unexpected data"}},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		var cfg Source
		cfg.JSON = tc.json
		_, err := Load(cfg)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for j := 0; j < len(tc.want); j++ {
			if !strings.Contains(err.Error(), tc.want[j]) {
				t.Errorf("%s: error %q does not contain %q", tc.name, err, tc.want[j])
			}
		}
	}
}

func TestRulesFileAndInline(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "auth.json")
	if err := os.WriteFile(file, []byte(`{"/x": {"GET": {"authorization": {"expression": "true", "public": true}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg Source
	cfg.File = file
	cfg.Rules = []Rule{
		{Method: "POST", Path: "/x", Expression: "true", Public: true},
		{Method: "GET", Path: "/x", Expression: "true", Public: true, Backoffice: true},
	}
	rs, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if Lookup(rs, "/x", "POST", false) == nil || Lookup(rs, "/x", "GET", true) == nil {
		t.Error("inline rules were not merged")
	}
	// the same path+method (and block) twice is an error
	cfg.Rules = append(cfg.Rules, Rule{Method: "GET", Path: "/x", Expression: "true", Public: true})
	if _, err := Load(cfg); err == nil || !strings.Contains(err.Error(), `rule[2]: path "/x", method "GET"`) || !strings.Contains(err.Error(), "already defined by rules_file") {
		t.Errorf("duplicate inline rule: %v", err)
	}
	cfg.Rules = []Rule{{Method: "GET", Path: "/y", Expression: "(", Public: true}}
	if _, err := Load(cfg); err == nil || !strings.Contains(err.Error(), `field "authorization.expression": column`) {
		t.Errorf("bad expression: %v", err)
	}
	cfg.Rules = []Rule{{Method: "FETCH", Path: "/y", Expression: "true"}}
	if _, err := Load(cfg); err == nil || !strings.Contains(err.Error(), "unknown method") {
		t.Errorf("bad method: %v", err)
	}
	cfg.Rules = nil
	cfg.File = filepath.Join(dir, "missing.json")
	if _, err := Load(cfg); err == nil || !strings.HasPrefix(err.Error(), "rules_file:") {
		t.Errorf("missing file: %v", err)
	}
}

// TestRuleKeyErrors: a key that no canonical request path can equal would
// leave its paths to a less specific rule, so it is a config error naming
// the key and where it comes from (the file, rules_json or rule).
func TestRuleKeyErrors(t *testing.T) {
	cases := []struct {
		key  string
		want string
	}{
		{"/api/*", `use a trailing "/"`},
		{"/api/**", `use a trailing "/"`},
		{"/api/*/x", `use a trailing "/"`},
		{"/a*b", `use a trailing "/"`},
		{"/a%20b", `"%"`},
		{"/a%2Fb", `"%"`},
		{"/admin;jsessionid=x", `";"`},
		{"/a?x=1", `"?"`},
		{"/a#frag", `"#"`},
		{"/a b", "whitespace"},
		{"/a\tb", "control"},
		{"/a\x00b", "control"},
		{"/a\x7fb", "control"},
		{"/a\\b", `"\\"`},
		{"/a//b", "empty path segment"},
		{"//a", "empty path segment"},
		{"//", "empty path segment"},
		{"/a/../b", "dot segments"},
		{"/a/./b", "dot segments"},
		{"/..", "dot segments"},
		{"/a/.", "dot segments"},
		{"/a/../", "dot segments"},
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "auth.json")
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		quoted, _ := json.Marshal(tc.key)
		doc := `{` + string(quoted) + `: {"GET": {"authorization": {"expression": "true", "public": true}}}}`
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(Source{File: file})
		if err == nil || !strings.Contains(err.Error(), "rules_file "+strconv.Quote(file)) || !strings.Contains(err.Error(), "path "+string(quoted)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("file key %q: %v; want the file, the key and %q", tc.key, err, tc.want)
		}
		_, err = Load(Source{Rules: []Rule{{Method: "GET", Path: tc.key, Expression: "true", Public: true}}})
		if err == nil || !strings.HasPrefix(err.Error(), "rule[0]: path "+string(quoted)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("inline key %q: %v", tc.key, err)
		}
	}
	// canonical keys still load
	good := []string{"/", "/a", "/a/", "/a/:id", "/a/{id}/b/", "/caf\u00e9", "/a.b", "/a..b", "/.well-known/x", "/a:b", "/a@b", "/a,b", "/a+b", "/a~b"}
	for i := 0; i < len(good); i++ {
		if _, err := Load(Source{Rules: []Rule{{Method: "GET", Path: good[i], Expression: "true", Public: true}}}); err != nil {
			t.Errorf("key %q: %v", good[i], err)
		}
	}
}

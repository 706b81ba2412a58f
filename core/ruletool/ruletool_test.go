package ruletool

import (
	"bytes"
	"strings"
	"testing"
)

const (
	demoRules = "../../testdata/auth.json"
	demoCases = "../../testdata/auth.cases.json"
	mistakes  = "testdata/mistakes.json"
)

// TestLintPlantedMistakes: lint finds each mistake planted in the fixture,
// and nothing else.
func TestLintPlantedMistakes(t *testing.T) {
	findings, err := LintFile(mistakes)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ key, method, what string }{
		{"/api/admin/", "ALL", "backoffice only"},
		{"/api/orders/:orderId", "-", "two names for one parameter"},
		{"/api/orders/{orderId}", "-", "two names for one parameter"},
		{"/api/orders/{orderId}", "-", "two spellings of one key"},
		{"/api/status", "GET authorization", "constant expression"},
		{"/api/ping", "GET authorization", "constant expression"},
		{"/api/profile", "GET authorization", "public, but the expression needs a user"},
		{"/api/everything", "ALL authorization", "never applies"},
	}
	for i := 0; i < len(want); i++ {
		w := want[i]
		found := false
		for j := 0; j < len(findings); j++ {
			f := findings[j]
			if f.Key == w.key && f.Method == w.method && f.What == w.what {
				found = true
			}
		}
		if !found {
			t.Errorf("not found: %s %s: %s", w.key, w.method, w.what)
		}
	}
	if len(findings) != len(want) {
		for j := 0; j < len(findings); j++ {
			t.Log(findings[j].String())
		}
		t.Errorf("%d findings, want %d", len(findings), len(want))
	}
	for j := 0; j < len(findings); j++ {
		if !strings.HasPrefix(findings[j].String(), mistakes+": ") {
			t.Errorf("finding without its file: %s", findings[j].String())
		}
	}
}

// TestLintClean: the demo's rules and a clean file have no finding; the
// mobile rule is public and needs no user (clientType decides).
func TestLintClean(t *testing.T) {
	findings, err := LintFile(demoRules)
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < len(findings); j++ {
		t.Errorf("unexpected: %s", findings[j].String())
	}
}

// TestDemoCases runs the demo's cases: the same file, compiled and under
// yaegi (make yaegi-test), decides alike.
func TestDemoCases(t *testing.T) {
	diffs, n, err := RunCases(demoRules, demoCases, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("%d cases, want at least 20", n)
	}
	for i := 0; i < len(diffs); i++ {
		t.Error(diffs[i])
	}
}

// TestCasesDifferences: every difference is reported, one line each.
func TestCasesDifferences(t *testing.T) {
	diffs, n, err := RunCases(demoRules, "testdata/wrong.cases.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`testdata/wrong.cases.json: "wrong status": DELETE /api/users/7: status 403, want 200 (reason forbidden, rule "ALL /api/users/")`,
		`testdata/wrong.cases.json: "wrong rule": GET /api/users/7: rule "GET /api/users/:id", want "GET /api/users/"`,
		`testdata/wrong.cases.json: "case 4": POST /nowhere: reason route_not_found, want unauthenticated`,
	}
	if n != 4 || strings.Join(diffs, "\n") != strings.Join(want, "\n") {
		t.Errorf("%d cases, differences:\n%s\nwant:\n%s", n, strings.Join(diffs, "\n"), strings.Join(want, "\n"))
	}
}

func TestExplain(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		req  Request
		want []string // lines of the output, in order
	}{
		{"reader", Options{}, Request{Method: "GET", Path: "/api/users/7",
			User: map[string]any{"sub": "bob", "groups": []any{"user"}, "permissions": []any{"users:read"}}}, []string{
			"canonical path: /api/users/7",
			"  /api/users/:id  GET authorization   <- chosen",
			"  /api/users/     GET authorization   (not reached)",
			"  /               GET authorization   (not reached)",
			`chosen rule:    "GET /api/users/:id", public: false`,
			`expression:     groups.admin || permissions["users:read"]`,
			"value:          true",
			"strict:         200 allowed (mia-allowed 1)",
			"non-strict:     200 allowed (mia-allowed 1)",
		}},
		{"anonymous backoffice", Options{Backoffice: true}, Request{Method: "DELETE", Path: "/api//users/./7"}, []string{
			"request:        DELETE /api//users/./7 (backoffice request)",
			"canonical path: /api/users/7",
			"  /api/users/:id  no block for DELETE on a backoffice request: passes it on",
			"  /api/users/     ALL backofficeAuthorization   <- chosen",
			"value:          not evaluated: anonymous caller and public: false",
			"strict:         401 unauthenticated",
			"non-strict:     200 unauthenticated (mia-allowed 0)",
		}},
		{"client type", Options{ClientType: "mobile"}, Request{Method: "GET", Path: "/api/mobile/feed"}, []string{
			`caller:         anonymous, client type "mobile"`,
			"value:          true",
			"strict:         200 allowed (mia-allowed 1)",
		}},
		{"trusted headers", Options{}, Request{Method: "GET", Path: "/api/admin/x",
			Header: map[string][]string{"Miauserid": {"h1"}, "Miausergroups": {"admin"}}}, []string{
			`caller:         user "h1", groups [admin], permissions [], client type ""`,
			"strict:         200 allowed (mia-allowed 1)",
		}},
		{"bad path", Options{}, Request{Method: "GET", Path: "/a%2Fb"}, []string{
			"canonical path: none: the path is refused",
			"strict:         400 bad_request",
			"non-strict:     400 bad_request",
		}},
		{"no route", Options{}, Request{Method: "PUT", Path: "/"}, []string{
			"  /  no block for PUT on a frontend request: passes it on",
			"chosen rule:    none (route not found)",
			"strict:         401 route_not_found",
		}},
	}
	for i := 0; i < len(cases); i++ {
		c := cases[i]
		out, err := Explain(demoRules, c.opts, &c.req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		rest := out
		for j := 0; j < len(c.want); j++ {
			k := strings.Index(rest, c.want[j]+"\n")
			if k < 0 {
				t.Errorf("%s: lacks (in order) %q:\n%s", c.name, c.want[j], out)
				break
			}
			rest = rest[k+len(c.want[j]):]
		}
	}
}

func TestMain(t *testing.T) {
	cases := []struct {
		args   []string
		status int
		out    string // substring of stdout
		errOut string // substring of stderr
	}{
		{nil, 2, "", "usage:"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"help"}, 0, "PROG lint FILE...", ""},
		{[]string{"lint"}, 2, "", "no rules file"},
		{[]string{"lint", demoRules}, 0, "", ""},
		{[]string{"lint", mistakes, demoRules}, 1, "backoffice only", ""},
		{[]string{"lint", "testdata/nope.json"}, 1, "", "rules_file: open testdata/nope.json"},
		{[]string{"explain", "--method", "GET", "--path", "/"}, 2, "", "--rules is required"},
		{[]string{"explain", "--rules", demoRules, "--path", "/"}, 2, "", "--method and --path are required"},
		{[]string{"explain", "--rules", demoRules, "--method", "GET", "--path", "/", "--user", "[]"}, 2, "", "--user: not a JSON object"},
		{[]string{"explain", "--rules", demoRules, "--method", "GET", "--path", "/", "--header", "nocolon"}, 2, "", `"nocolon" is not "Name: value"`},
		{[]string{"explain", "--rules", demoRules, "--method", "GET", "--path", "/api/me", "--header", "miauserid: u9"}, 0, `user "u9"`, ""},
		{[]string{"test", demoCases, "--rules", demoRules}, 0, "ok: 20 cases", ""},
		{[]string{"test", "--rules", demoRules, "testdata/wrong.cases.json"}, 1, "3 differences in 4 cases", ""},
		{[]string{"test", "--rules", demoRules}, 2, "", "want one cases file"},
	}
	for i := 0; i < len(cases); i++ {
		c := cases[i]
		var stdout, stderr bytes.Buffer
		status := Main("PROG", c.args, &stdout, &stderr)
		if status != c.status || !strings.Contains(stdout.String(), c.out) || !strings.Contains(stderr.String(), c.errOut) {
			t.Errorf("%q: status %d, want %d\nstdout: %s\nstderr: %s", c.args, status, c.status, stdout.String(), stderr.String())
		}
	}
}

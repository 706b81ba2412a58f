package caddyauthz

// In-process Caddy tests (caddytest): the test binary is a Caddy with this
// module. All of them live in this one package; TestMain (main_test.go)
// starts that Caddy on free admin and HTTP ports (retrying on a bind
// error), so that they never talk to another test binary's Caddy. They
// need XDG_CONFIG_HOME and XDG_DATA_HOME in the environment (the Makefile
// sets them) and are skipped with -short.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// The ports of the in-process Caddy, chosen by TestMain.
var (
	testAdminPort, testHTTPPort, testHTTPSPort int
	testBase                                   string
)

func newTester(t *testing.T) *caddytest.Tester {
	t.Helper()
	if testing.Short() {
		t.Skip("in-process Caddy tests are skipped with -short")
	}
	return caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: testAdminPort})
}

// globals is the global options block of every test configuration.
func globals() string {
	return fmt.Sprintf(`{
	skip_install_trust
	admin localhost:%d
	http_port %d
	https_port %d
	grace_period 1ns
	persist_config off
}
`, testAdminPort, testHTTPPort, testHTTPSPort)
}

// newEcho starts an upstream that answers the headers and path it received.
func newEcho(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "raw": r.RequestURI, "header": r.Header})
	}))
	t.Cleanup(s.Close)
	return s
}

type echoed struct {
	Path   string              `json:"path"`
	Raw    string              `json:"raw"`
	Header map[string][]string `json:"header"`
}

func do(t *testing.T, tc *caddytest.Tester, method, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := tc.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestCaddyInline(t *testing.T) {
	tc := newTester(t)
	id := newIdentity(t)
	up := newEcho(t)
	tc.InitServer(globals()+fmt.Sprintf(`
%s {
	authz {
		userinfo_url %s
		permissions_key permissions
		user_properties_to_proxy email
		rules_json `+"`%s`"+`
		rule GET /whoami true
		rule POST /api/items/{id} "groups.ops" backoffice
	}
	handle /whoami {
		respond "{http.auth.user.id}|{http.auth.user.groups}|{http.auth.user.permissions}|{http.auth.user.email}|{http.auth.user.age}|{http.authz.route}"
	}
	reverse_proxy %s
}
`, testBase, id.URL, testRules, strings.TrimPrefix(up.URL, "http://")), "caddyfile")

	// allowed: identity headers upstream, spoofed ones gone
	resp, body := do(t, tc, "GET", testBase+"/users/7", map[string]string{"Authorization": "Bearer reader", "Miauserid": "evil", "Mia_userid": "evil", "Mia-Allowed": "1"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var e echoed
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"Miauserid": "u-reader", "Miausergroups": "user", "Miauserproperties": `{"email":"reader@example.com"}`, "Authorization": "Bearer reader"} {
		if got := e.Header[k]; len(got) != 1 || got[0] != v {
			t.Errorf("upstream %s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"Mia_userid", "Mia-Allowed"} {
		if _, ok := e.Header[k]; ok {
			t.Errorf("spoofed %s reached the upstream", k)
		}
	}

	// placeholders
	tc.AssertResponse(mustRequest(t, "GET", testBase+"/whoami", "Bearer admin"), 200, "u-admin|admin,ops|users:read|admin@example.com|42|GET /whoami")

	// canonical path upstream
	resp, body = do(t, tc, "GET", testBase+"/x/../users/7", map[string]string{"Authorization": "Bearer reader"})
	if resp.StatusCode != 200 || !strings.Contains(body, `"path":"/users/7"`) {
		t.Errorf("canonical path: %d %s", resp.StatusCode, body)
	}

	// denials carry a JSON body written by authz itself
	for _, c := range []struct {
		method, path, auth string
		status             int
	}{
		{"GET", "/users/", "", 401},
		{"GET", "/users/", "Bearer reader", 403},
		{"POST", "/", "", 401},
		{"GET", "/a%2Fb", "", 400},
		{"POST", "/api/items/1", "Bearer admin", 401}, // backoffice-only rule: no route for a frontend request
	} {
		resp, body := do(t, tc, c.method, testBase+c.path, map[string]string{"Authorization": c.auth})
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/json" ||
			!strings.Contains(body, fmt.Sprintf(`"statusCode":%d`, c.status)) {
			t.Errorf("%s %s: %d %q %s", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	// a frontend site (backoffice false, the default): the client cannot
	// make its request a backoffice one
	resp, _ = do(t, tc, "POST", testBase+"/api/items/1", map[string]string{"Authorization": "Bearer admin", "isbackoffice": "true"})
	if resp.StatusCode != 401 {
		t.Errorf("backoffice rule with a spoofed isbackoffice: %d, want 401", resp.StatusCode)
	}

	// metrics on the admin endpoint of this configuration
	resp, body = do(t, tc, "GET", fmt.Sprintf("http://localhost:%d/metrics", testAdminPort), nil)
	for _, m := range []string{`caddy_authz_decisions_total{outcome="allowed",route="GET /whoami"}`, `caddy_authz_decisions_total{outcome="forbidden",route=`, "caddy_authz_userinfo_duration_seconds_count", "caddy_authz_userinfo_errors_total"} {
		if !strings.Contains(body, m) {
			t.Errorf("metrics lack %s (status %d)", m, resp.StatusCode)
		}
	}
}

func mustRequest(t *testing.T, method, url, auth string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return req
}

func TestCaddyNonStrict(t *testing.T) {
	tc := newTester(t)
	id := newIdentity(t)
	up := newEcho(t)
	tc.InitServer(globals()+fmt.Sprintf(`
%s {
	authz {
		strict false
		userinfo_url %s
		rules_json `+"`%s`"+`
	}
	reverse_proxy %s
}
`, testBase, id.URL, testRules, strings.TrimPrefix(up.URL, "http://")), "caddyfile")
	for _, c := range []struct {
		path, auth, allowed string
	}{
		{"/users/", "", "0"}, {"/users/", "Bearer reader", "0"}, {"/users/", "Bearer admin", "1"}, {"/", "", "1"},
	} {
		resp, body := do(t, tc, "GET", testBase+c.path, map[string]string{"Authorization": c.auth})
		var e echoed
		json.Unmarshal([]byte(body), &e)
		if resp.StatusCode != 200 || len(e.Header["Mia-Allowed"]) != 1 || e.Header["Mia-Allowed"][0] != c.allowed {
			t.Errorf("%s %q: %d mia-allowed %q", c.path, c.auth, resp.StatusCode, e.Header["Mia-Allowed"])
		}
	}
}

func TestCaddyDecisionMode(t *testing.T) {
	tc := newTester(t)
	id := newIdentity(t)
	tc.InitServer(globals()+fmt.Sprintf(`
%s {
	authz {
		mode decision
		userinfo_url %s
		permissions_key permissions
		user_properties_to_proxy email
		rules_json `+"`%s`"+`
	}
	respond "next handler ran" 299
}
`, testBase, id.URL, testRules), "caddyfile")
	for _, c := range []struct {
		name   string
		header map[string]string
		status int
		want   map[string]string
	}{
		{"original allowed", map[string]string{"Original-Request-Uri": "/users/7", "Original-Request-Method": "GET", "Authorization": "Bearer reader"}, 200,
			map[string]string{"Mia-Allowed": "1", "Mia-Userid": "u-reader", "Mia-Groups": "user", "Mia-Userproperties": `{"email":"reader@example.com"}`}},
		{"forwarded forbidden", map[string]string{"X-Forwarded-Uri": "/users/", "X-Forwarded-Method": "GET", "Authorization": "Bearer reader"}, 403,
			map[string]string{"Mia-Allowed": "0", "Mia-Userid": "u-reader", "Mia-Groups": "user"}},
		{"anonymous", map[string]string{"X-Forwarded-Uri": "/users/", "X-Forwarded-Method": "GET"}, 401,
			map[string]string{"Mia-Allowed": "0", "Mia-Userid": "", "Mia-Groups": "", "Mia-Userproperties": ""}},
		{"never redirects", map[string]string{"Original-Request-Uri": "//", "Original-Request-Method": "GET"}, 200,
			map[string]string{"Mia-Allowed": "1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, tc, "GET", testBase+"/auth/anything", c.header)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			for k, v := range c.want {
				got, ok := resp.Header[k]
				if !ok || got[0] != v {
					t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
				}
			}
		})
	}
}

// A configuration error fails the load with the option and, for an
// expression, the rule and the column.
func TestCaddyLoadErrors(t *testing.T) {
	tc := newTester(t)
	tc.InitServer(globals()+testBase+" {\n\trespond ok\n}\n", "caddyfile")
	for _, c := range []struct {
		name, block, want string
	}{
		{"bad expression", "rule GET /x `groups.admin &&`", "column"},
		{"unknown identifier", "rule GET /x `nobody.knows`", `column 1: unknown identifier`},
		{"two identity sources", "userinfo_url http://127.0.0.1:1\n\t\ttrust_user_headers", "only one of"},
		{"missing rules file", "rules_file /nonexistent/auth.json", "rules_file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := globals() + testBase + " {\n\tauthz {\n\t\t" + c.block + "\n\t}\n}\n"
			req, _ := http.NewRequest("POST", fmt.Sprintf("http://localhost:%d/load", testAdminPort), strings.NewReader(cfg))
			req.Header.Set("Content-Type", "text/caddyfile")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 || !strings.Contains(string(body), c.want) {
				t.Errorf("load: %d %s, want an error containing %q", resp.StatusCode, body, c.want)
			}
		})
	}
	// the previous configuration still runs
	tc.AssertGetResponse(testBase+"/", 200, "ok")
}

// authz_token runs before authz: its paths are never subject to the rules,
// and authz can verify its tokens through a jwks_url on the same Caddy.
func TestCaddyTokenThenAuthz(t *testing.T) {
	tc := newTester(t)
	tc.InitServer(globals()+fmt.Sprintf(`
%[1]s {
	authz {
		rule GET /reports `+"`permissions[\"reports:read\"]`"+`
		jwt {
			jwks_url %[1]s/.well-known/jwks.json
			issuer %[1]s
		}
	}
	authz_token {
		issuer %[1]s
		client reporting {
			secret s3cret
			permissions reports:read
		}
	}
	respond "report for {http.auth.user.id}"
}
`, testBase), "caddyfile")
	// Right after a load the first connection can still reach the server
	// of the previous configuration, which closes it (EOF); a POST is not
	// retried by net/http, so retry it here, a bounded number of times.
	var resp *http.Response
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		req, _ := http.NewRequest("POST", testBase+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("reporting", "s3cret")
		if resp, err = tc.Client.Do(req); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token endpoint: %d", resp.StatusCode)
	}
	// The JWKS is fetched in the background (the first attempt may reach
	// the previous configuration, or nothing, while this one starts), so
	// the token verifies within a few seconds of the load, not necessarily
	// at once.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, body := do(t, tc, "GET", testBase+"/reports", map[string]string{"Authorization": "Bearer " + tok.AccessToken})
		if resp.StatusCode == 200 {
			if body != "report for reporting" {
				t.Errorf("body %q", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("token not accepted after 5s: %d %s", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	tc.AssertResponseCode(mustRequest(t, "GET", testBase+"/reports", ""), 401)
	tc.AssertResponseCode(mustRequest(t, "GET", testBase+"/reports", "Bearer "+tok.AccessToken+"x"), 401)
	tc.AssertResponseCode(mustRequest(t, "GET", testBase+"/.well-known/jwks.json", ""), 200)
}

// Headers that authz sets must not share memory between requests: Caddy's
// request_header with a search/replace rewrites header values in place, so
// a shared value slice would leak one request's edit into every later
// request. This test must stay the last one of the package: when the bug
// is present, it corrupts the process-wide value.
func TestCaddyHeaderValuesNotShared(t *testing.T) {
	tc := newTester(t)
	up := newEcho(t)
	tc.InitServer(globals()+fmt.Sprintf(`
%s {
	authz {
		strict false
		rules_json `+"`%s`"+`
	}
	request_header /edit/* Mia-Allowed 1 edited
	reverse_proxy %s
}
`, testBase, testRules, strings.TrimPrefix(up.URL, "http://")), "caddyfile")
	do(t, tc, "GET", testBase+"/edit/x", nil)
	_, body := do(t, tc, "GET", testBase+"/", nil)
	var e echoed
	json.Unmarshal([]byte(body), &e)
	if got := e.Header["Mia-Allowed"]; len(got) != 1 || got[0] != "1" {
		// core once shared one value slice between requests (fixed: core's
		// TestHeaderValuesNotShared).
		t.Errorf("mia-allowed of an unrelated request is %q after another request's request_header edit", got)
	}
}

package integration

// Tests against a real Caddy built with xcaddy from this working tree
// (`make caddy`; CADDY_BIN). Every test starts its own Caddy with a
// generated Caddyfile, a real userinfo server and a real upstream on
// loopback.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// caddyInline is the authz block of the shared table: userinfo, the shared
// rules file, email upstream, permissions from "permissions".
func caddyInline(userinfo, rules string, strict bool) string {
	return fmt.Sprintf(`
		userinfo_url %s
		permissions_key permissions
		user_properties_to_proxy email
		rules_file %s
		strict %t`, userinfo, rules, strict)
}

// caddyInputs are the gateway-input options of the frontend instances of
// the shared table (see inputCases).
const caddyInputs = `
		api_key mobile-key mobile
		api_key web-key web
		login_redirect ` + loginRedirectURL + `
		preflight pass`

// caddyBackoffice are the options of the backoffice instance (see
// backofficeCases).
const caddyBackoffice = `
		api_key_sha256 ` + mobileKeySHA256 + ` mobile
		backoffice true`

// caddyEdge are the options of an instance behind a trusted edge (see
// edgeCases).
const caddyEdge = `
		client_type header
		backoffice header`

// spoofable are the normalised names of the identity headers that
// anti-spoofing removes.
var spoofable = map[string]bool{
	"miauserid": true, "miausergroups": true, "miauserproperties": true,
	"mia-allowed": true, "mia-userid": true, "mia-groups": true, "mia-userproperties": true,
}

func caddyNormHeader(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			b[i] = '-'
		}
	}
	return string(b)
}

// bearerUser returns the user of the shared userinfo server that the
// request's Authorization names, or nil.
func bearerUser(h map[string]string) map[string]any {
	tok, ok := strings.CutPrefix(h["Authorization"], "Bearer ")
	if !ok {
		return nil
	}
	return users[tok]
}

// TestCaddySharedCases runs every row of sharedCases against authz inline,
// strict and non-strict, with raw request lines (paths are sent exactly as
// written). Caddy ≥ 2.11 drops header names with underscores or dots before
// any handler runs, so the rows are run a second time on a Caddy that lets
// mia_userid and mia.userid through: authz must strip them itself.
func TestCaddySharedCases(t *testing.T) {
	ui := newUserinfoServer(t)
	up := newCaddyRecorder(t)
	rules := caddyAuthJSON(t)
	for _, variant := range []struct{ name, globals string }{
		{"default", ""},
		{"aliases-admitted", "\tservers {\n\t\texpected_underscore_headers mia_userid\n\t\texpected_dot_headers mia.userid\n\t}\n"},
	} {
		strictPort, lenientPort, boPort, edgePort, cachedPort := freePort(t), freePort(t), freePort(t), freePort(t), freePort(t)
		caddyStartGlobals(t, variant.globals, []string{
			caddySite(strictPort, "\tauthz {"+caddyInline(ui.URL, rules, true)+caddyInputs+"\n\t}\n\treverse_proxy "+up.hostPort()),
			caddySite(lenientPort, "\tauthz {"+caddyInline(ui.URL, rules, false)+caddyInputs+"\n\t}\n\treverse_proxy "+up.hostPort()),
			caddySite(boPort, "\tauthz {"+caddyInline(ui.URL, rules, true)+caddyBackoffice+"\n\t}\n\treverse_proxy "+up.hostPort()),
			caddySite(edgePort, "\tauthz {"+caddyInline(ui.URL, rules, true)+caddyEdge+"\n\t}\n\treverse_proxy "+up.hostPort()),
			caddySite(cachedPort, "\tauthz {"+caddyInline(ui.URL, rules, true)+caddyInputs+"\n\t\tcache_ttl 1m\n\t}\n\treverse_proxy "+up.hostPort()),
		}, strictPort, lenientPort, boPort, edgePort, cachedPort)

		// the cached path gives the uncached answers: the same rows twice on
		// an instance with the userinfo cache, the second time from the cache
		for _, pass := range []string{"fill", "hit"} {
			t.Run(variant.name+"/cached-userinfo/"+pass, func(t *testing.T) {
				for _, c := range append(sharedCases, inputCases...) {
					t.Run(c.name, func(t *testing.T) {
						caddyCheckInline(t, up, "127.0.0.1:"+strconv.Itoa(cachedPort), c, true)
					})
				}
			})
		}

		for _, mode := range []struct {
			name   string
			port   int
			strict bool
		}{{"strict", strictPort, true}, {"non-strict", lenientPort, false}} {
			t.Run(variant.name+"/"+mode.name, func(t *testing.T) {
				for _, c := range append(sharedCases, inputCases...) {
					t.Run(c.name, func(t *testing.T) {
						caddyCheckInline(t, up, "127.0.0.1:"+strconv.Itoa(mode.port), c, mode.strict)
					})
				}
			})
		}
		t.Run(variant.name+"/behind-edge", func(t *testing.T) {
			for _, c := range append(sharedCases, edgeCases...) {
				t.Run(c.name, func(t *testing.T) {
					caddyCheckInline(t, up, "127.0.0.1:"+strconv.Itoa(edgePort), c, true)
				})
			}
		})
		t.Run(variant.name+"/backoffice", func(t *testing.T) {
			for _, c := range append(sharedCases, backofficeCases...) {
				t.Run(c.name, func(t *testing.T) {
					caddyCheckInline(t, up, "127.0.0.1:"+strconv.Itoa(boPort), c, true)
				})
			}
		})
	}

	// Proof that the second Caddy admits the aliases: without authz they
	// reach the upstream.
	port := freePort(t)
	caddyStartGlobals(t, "\tservers {\n\t\texpected_underscore_headers mia_userid\n\t\texpected_dot_headers mia.userid\n\t}\n",
		[]string{caddySite(port, "\treverse_proxy "+up.hostPort())}, port)
	id := up.next()
	if _, _, err := caddyRaw("127.0.0.1:"+strconv.Itoa(port), "GET", "/", map[string]string{"X-Test-Id": id, "Mia_userid": "evil", "Mia.userid": "evil"}); err != nil {
		t.Fatal(err)
	}
	if e, _ := up.got(id); len(e.Header["Mia_userid"]) != 1 || len(e.Header["Mia.userid"]) != 1 {
		t.Errorf("the aliases-admitted Caddy drops the aliases without authz: %v", e.Header)
	}
}

func caddyCheckInline(t *testing.T, up *caddyRecorder, addr string, c requestCase, strict bool) {
	t.Helper()
	want := c.lenient
	if strict {
		want = c.strict
	}
	id := up.next()
	header := map[string]string{"X-Test-Id": id}
	for k, v := range c.header {
		header[k] = v
	}
	resp, body, err := caddyRaw(addr, c.method, c.path, header)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d (%s)", c.method, c.path, resp.StatusCode, want, body)
	}
	e, reached := up.got(id)
	if want != http.StatusOK {
		if reached {
			t.Errorf("a denied request reached the upstream: %+v", e)
		}
		if want == http.StatusFound {
			if loc := resp.Header.Get("Location"); loc != c.location {
				t.Errorf("Location %q, want %q", loc, c.location)
			}
			return
		}
		caddyDenialBody(t, c.method+" "+c.path, want, resp, body)
		return
	}
	if !reached {
		t.Fatalf("an allowed request did not reach the upstream")
	}
	if c.upPath != "" && e.Path != c.upPath {
		t.Errorf("upstream path %q, want %q (raw %q)", e.Path, c.upPath, e.RawURI)
	}
	for k, v := range c.upHeader {
		if got := e.Header[http.CanonicalHeaderKey(k)]; len(got) != 1 || got[0] != v {
			t.Errorf("upstream %s = %q, want %q", k, got, v)
		}
	}
	for _, k := range c.upAbsent {
		if got, ok := e.Header[http.CanonicalHeaderKey(k)]; ok {
			t.Errorf("upstream has %s = %q, want it absent", k, got)
		}
	}
	allowed, hasAllowed := e.Header["Mia-Allowed"]
	if strict && hasAllowed {
		t.Errorf("strict mode sent mia-allowed %q upstream", allowed)
	}
	if !strict && c.allowedNS != "" && (len(allowed) != 1 || allowed[0] != c.allowedNS) {
		t.Errorf("upstream mia-allowed %q, want %q", allowed, c.allowedNS)
	}
	// whatever the row says: no identity header the client made up, in any
	// spelling, reaches the upstream
	for k, v := range e.Header {
		if !spoofable[caddyNormHeader(k)] {
			continue
		}
		switch {
		case k == "Miauserid" || k == "Miausergroups" || k == "Miauserproperties":
			if bearerUser(c.header) == nil {
				t.Errorf("anonymous request carries %s = %q upstream", k, v)
			}
		case k == "Mia-Allowed" && !strict:
		default:
			t.Errorf("upstream has %s = %q", k, v)
		}
		if len(v) != 1 || v[0] == "evil" {
			t.Errorf("upstream %s = %q", k, v)
		}
	}
}

// TestCaddyDecisionMode runs the shared table through decision mode, with
// the target given by Original-Request-Uri/-Method and by
// X-Forwarded-Uri/-Method: the status, and mia-allowed, mia-userid,
// mia-groups and mia-userproperties on every answer.
func TestCaddyDecisionMode(t *testing.T) {
	ui := newUserinfoServer(t)
	rules := caddyAuthJSON(t)
	strictPort, lenientPort := freePort(t), freePort(t)
	decide := "\t\tmode decision\n"
	caddyStart(t, []string{
		caddySite(strictPort, "\tauthz {\n"+decide+caddyInline(ui.URL, rules, true)+"\n\t}\n\trespond \"next handler\" 299"),
		caddySite(lenientPort, "\tauthz {\n"+decide+caddyInline(ui.URL, rules, false)+"\n\t}\n\trespond \"next handler\" 299"),
	}, strictPort, lenientPort)

	for _, mode := range []struct {
		name   string
		port   int
		strict bool
	}{{"strict", strictPort, true}, {"non-strict", lenientPort, false}} {
		for _, style := range []struct{ name, uri, method, target string }{
			{"original", "Original-Request-Uri", "Original-Request-Method", "/auth"},
			{"forwarded", "X-Forwarded-Uri", "X-Forwarded-Method", "/auth"},
			{"envoy-prefix", "Original-Request-Uri", "Original-Request-Method", "/auth/any/path"},
		} {
			t.Run(mode.name+"/"+style.name, func(t *testing.T) {
				addr := "127.0.0.1:" + strconv.Itoa(mode.port)
				for _, c := range append(sharedCases, headerModeCases...) {
					want := c.lenient
					if mode.strict {
						want = c.strict
					}
					h := map[string]string{style.uri: c.path, style.method: c.method}
					for k, v := range c.header {
						h[k] = v
					}
					resp, body, err := caddyRaw(addr, "GET", style.target, h)
					if err != nil {
						t.Fatal(err)
					}
					if resp.StatusCode != want {
						t.Errorf("%s: status %d, want %d (%s)", c.name, resp.StatusCode, want, body)
						continue
					}
					wantAllowed := "0"
					if c.allowedNS == "1" {
						wantAllowed = "1"
					}
					wantID, wantGroups, wantProps := "", "", ""
					if u := bearerUser(c.header); u != nil && want != http.StatusBadRequest {
						wantID = u["sub"].(string)
						wantGroups = strings.Join(u["groups"].([]string), ",")
						wantProps = fmt.Sprintf(`{"email":%q}`, u["email"])
					}
					for k, v := range map[string]string{"Mia-Allowed": wantAllowed, "Mia-Userid": wantID, "Mia-Groups": wantGroups, "Mia-Userproperties": wantProps} {
						got, ok := resp.Header[k]
						if !ok || len(got) != 1 || got[0] != v {
							t.Errorf("%s: %s = %q (present %v), want %q", c.name, k, got, ok, v)
						}
					}
					if want != http.StatusOK {
						caddyDenialBody(t, c.name, want, resp, body)
					}
				}
			})
		}
	}

	// never a redirect, also for // and %2F%2F, and never the next handler
	addr := "127.0.0.1:" + strconv.Itoa(strictPort)
	for _, c := range []struct {
		target, uri string
		status      int
	}{
		{"//", "//", 200},
		{"/auth", "/%2F%2F", 400},
		{"/%2F%2F", "/", 200},
		{"/auth", "//public//x", 200},
	} {
		resp, body, err := caddyRaw(addr, "GET", c.target, map[string]string{"X-Forwarded-Uri": c.uri, "X-Forwarded-Method": "GET"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.status || resp.Header.Get("Location") != "" {
			t.Errorf("%s with uri %s: %d Location %q (%s)", c.target, c.uri, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	// no target at all
	resp, _, err := caddyRaw(addr, "GET", "/auth", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no target: %d, want 400", resp.StatusCode)
	}
}

// TestCaddyForwardAuth puts a Caddy forward_auth front end before a
// decision-mode Caddy (another process).
func TestCaddyForwardAuth(t *testing.T) {
	ui := newUserinfoServer(t)
	up := newCaddyRecorder(t)
	rules := caddyAuthJSON(t)
	decidePort := freePort(t)
	caddyStart(t, []string{
		caddySite(decidePort, "\tauthz {\n\t\tmode decision\n"+caddyInline(ui.URL, rules, true)+"\n\t}"),
	}, decidePort)

	frontPort, openPort := freePort(t), freePort(t)
	forward := func(hardened bool) string {
		extra := ""
		if hardened {
			// decision mode prefers Original-Request-Uri: a client must
			// not be able to choose the path that is decided on
			extra = "\n\t\theader_up -Original-Request-Uri\n\t\theader_up -Original-Request-Method"
		}
		return fmt.Sprintf("\tforward_auth 127.0.0.1:%d {\n\t\turi /auth\n\t\tcopy_headers mia-userid mia-groups mia-userproperties%s\n\t}\n\treverse_proxy %s", decidePort, extra, up.hostPort())
	}
	caddyStart(t, []string{caddySite(frontPort, forward(true)), caddySite(openPort, forward(false))}, frontPort, openPort)
	front := "127.0.0.1:" + strconv.Itoa(frontPort)

	for _, c := range []struct {
		name, method, path string
		header             map[string]string
		status             int
		upHeader           map[string]string
		upAbsent           []string
	}{
		{"admin allowed", "GET", "/users/", map[string]string{"Authorization": "Bearer admin"}, 200,
			map[string]string{"Mia-Userid": "u-admin", "Mia-Groups": "admin,ops", "Mia-Userproperties": `{"email":"admin@example.com"}`, "Authorization": "Bearer admin"}, nil},
		{"anonymous private", "GET", "/users/", nil, 401, nil, nil},
		{"unknown token", "GET", "/users/", map[string]string{"Authorization": "Bearer bogus"}, 401, nil, nil},
		{"reader forbidden", "DELETE", "/users/7", map[string]string{"Authorization": "Bearer reader"}, 403, nil, nil},
		{"reader allowed", "GET", "/users/7", map[string]string{"Authorization": "Bearer reader"}, 200, map[string]string{"Mia-Userid": "u-reader", "Mia-Groups": "user"}, nil},
		{"public anonymous, spoofed mia-userid", "GET", "/", map[string]string{"Mia-Userid": "evil", "Mia-Groups": "admin"}, 200, nil, []string{"Mia-Userid", "Mia-Groups", "Mia-Userproperties"}},
		{"route not found", "POST", "/", nil, 401, nil, nil},
		{"dot segments decided on the canonical path", "GET", "/public/../admin/x", map[string]string{"Authorization": "Bearer reader"}, 403, nil, nil},
		{"encoded slash", "GET", "/public/a%2Fb", nil, 400, nil, nil},
		{"spoofed Original-Request-Uri ignored", "GET", "/users/", map[string]string{"Original-Request-Uri": "/public/x", "Original-Request-Method": "POST"}, 401, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := up.next()
			h := map[string]string{"X-Test-Id": id}
			for k, v := range c.header {
				h[k] = v
			}
			resp, body, err := caddyRaw(front, c.method, c.path, h)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, c.status, body)
			}
			e, reached := up.got(id)
			if c.status != 200 {
				if reached {
					t.Error("a denied request reached the upstream")
				}
				// the decision's answer is passed back to the client
				caddyDenialBody(t, c.name, c.status, resp, body)
				if resp.Header.Get("Mia-Allowed") != "0" {
					t.Errorf("mia-allowed %q", resp.Header.Get("Mia-Allowed"))
				}
				return
			}
			if !reached {
				t.Fatal("not proxied")
			}
			for k, v := range c.upHeader {
				if got := e.Header[k]; len(got) != 1 || got[0] != v {
					t.Errorf("upstream %s = %q, want %q", k, got, v)
				}
			}
			for _, k := range c.upAbsent {
				if got, ok := e.Header[k]; ok {
					t.Errorf("upstream has %s = %q", k, got)
				}
			}
		})
	}

	// Without the header_up deletions the client chooses what is decided.
	resp, _, err := caddyRaw("127.0.0.1:"+strconv.Itoa(openPort), "GET", "/users/", map[string]string{"Original-Request-Uri": "/public/x", "Original-Request-Method": "POST"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("forward_auth WITHOUT header_up -Original-Request-Uri: GET /users/ with a spoofed Original-Request-Uri: %d (200 = the client chose the decided path)", resp.StatusCode)
	// forward_auth deletes the copy_headers names only: the inline-mode
	// names reach the upstream unless removed (Caddy ≥ 2.11 itself drops
	// header names with underscores or dots, such as Mia_userid).
	id := up.next()
	caddyRaw(front, "GET", "/", map[string]string{"X-Test-Id": id, "Mia_userid": "evil", "Miauserid": "evil"})
	if e, ok := up.got(id); ok {
		t.Logf("forward_auth front end: upstream Mia_userid %q, Miauserid %q (strip Miauserid with request_header if the upstream reads it)", e.Header["Mia_userid"], e.Header["Miauserid"])
	}
}

// TestCaddyReload: `caddy reload` with changed rules changes a decision; a
// reload with a broken rule is refused and the running rules stay.
func TestCaddyReload(t *testing.T) {
	ui := newUserinfoServer(t)
	up := newCaddyRecorder(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "auth.json")
	write := func(extra string) {
		doc := `{"/": {"GET": {"authorization": {"expression": "true", "public": true}}}` + extra + `}`
		if err := os.WriteFile(rules, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	port := freePort(t)
	site := func(inline string) string {
		return caddySite(port, "\tauthz {\n\t\tuserinfo_url "+ui.URL+"\n\t\trules_file "+rules+"\n"+inline+"\t}\n\treverse_proxy "+up.hostPort())
	}
	p := caddyStart(t, []string{site("")}, port)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	status := func(method, path string) int {
		t.Helper()
		resp, _, err := caddyRaw(addr, method, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	reload := func(force bool) (string, error) {
		args := []string{"reload", "--config", p.file, "--adapter", "caddyfile", "--address", "localhost:" + strconv.Itoa(p.adminPort)}
		if force {
			args = append(args, "--force")
		}
		return caddyCmd(t, p.env, filepath.Dir(p.file), args...)
	}

	if s := status("POST", "/feature"); s != 401 {
		t.Fatalf("before: POST /feature %d, want 401", s)
	}
	// 1. a new inline rule in the Caddyfile
	caddyWrite(t, filepath.Dir(p.file), p.adminPort, site("\t\trule POST /feature true public\n"))
	if out, err := reload(false); err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	if s := status("POST", "/feature"); s != 200 {
		t.Errorf("after reload: POST /feature %d, want 200", s)
	}
	// 2. only the rules file changed: the Caddyfile is the same, so a
	// plain reload is a no-op and --force is needed
	write(`, "/other": {"PUT": {"authorization": {"expression": "true", "public": true}}}`)
	if out, err := reload(false); err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	if s := status("PUT", "/other"); s != 401 {
		t.Logf("a plain reload after a rules_file change applied it (%d): Caddy reloaded an unchanged Caddyfile", s)
	}
	if out, err := reload(true); err != nil {
		t.Fatalf("reload --force: %v\n%s", err, out)
	}
	if s := status("PUT", "/other"); s != 200 {
		t.Errorf("after reload --force: PUT /other %d, want 200", s)
	}
	// 3. a broken expression: the reload fails with the column, the
	// running configuration stays
	caddyWrite(t, filepath.Dir(p.file), p.adminPort, site("\t\trule POST /feature `groups.admin &&` public\n"))
	out, err := reload(false)
	if err == nil || !strings.Contains(out, "column") {
		t.Errorf("reload of a broken rule: err %v, output:\n%s", err, out)
	}
	if s := status("POST", "/feature"); s != 200 {
		t.Errorf("after a failed reload: POST /feature %d, want 200", s)
	}
}

// TestCaddyValidate: `caddy validate` provisions the module, so a bad
// expression fails with the rule and the column, and good files pass.
func TestCaddyValidate(t *testing.T) {
	env := caddyEnv(t)
	dir := t.TempDir()
	for _, c := range []struct {
		name, block string
		ok          bool
		want        []string
	}{
		{"bad expression", "rule GET /users/:id `groups.admin || permissions[`", false, []string{"/users/:id", "GET", "column"}},
		{"unknown identifier", "rule GET /x `grups.admin`", false, []string{"column 1", "grups"}},
		{"bad rules file", "rules_file " + filepath.Join(dir, "missing.json"), false, []string{"rules_file"}},
		{"two identity sources", "userinfo_url http://127.0.0.1:1/userinfo\n\t\ttrust_user_headers", false, []string{"only one of"}},
		{"parse error", "rule GET /x", false, []string{"parsing caddyfile tokens for 'authz'", "rule:"}},
		{"good", "rules_file " + caddyAuthJSON(t) + "\n\t\trule GET /x `groups.admin || permissions[\"a:b\"]`", true, []string{"Valid configuration"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := caddyWrite(t, t.TempDir(), freePort(t), caddySite(freePort(t), "\tauthz {\n\t\t"+c.block+"\n\t}"))
			out, err := caddyCmd(t, env, dir, "validate", "--config", f, "--adapter", "caddyfile")
			if (err == nil) != c.ok {
				t.Fatalf("validate: err %v, want ok=%v\n%s", err, c.ok, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, caddyTail(out, 5))
				}
			}
		})
	}
	// the `make run` demo validates where `make run` runs it
	demo := filepath.Join(repoRoot(t), "testdata")
	if out, err := caddyCmd(t, env, demo, "validate", "--config", "Caddyfile", "--adapter", "caddyfile"); err != nil || !strings.Contains(out, "Valid configuration") {
		t.Errorf("testdata/Caddyfile: %v\n%s", err, caddyTail(out, 10))
	}
}

// TestCaddyAdapt: the binary adapts the demo Caddyfile to the expected JSON
// (the same golden file as caddyauthz's in-process adapt test) and lists
// both modules.
func TestCaddyAdapt(t *testing.T) {
	env := caddyEnv(t)
	root := repoRoot(t)
	out, err := caddyCmd(t, env, filepath.Join(root, "testdata"), "adapt", "--config", "Caddyfile", "--adapter", "caddyfile")
	if err != nil {
		t.Fatalf("adapt: %v\n%s", err, out)
	}
	var got, want any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("adapt output is not JSON: %v\n%s", err, caddyTail(out, 10))
	}
	golden, err := os.ReadFile(filepath.Join(root, "caddyauthz", "testdata", "demo_caddyfile.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(golden, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("caddy adapt of testdata/Caddyfile differs from caddyauthz/testdata/demo_caddyfile.json:\n%s", out)
	}

	out, err = caddyCmd(t, env, root, "list-modules")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"http.handlers.authz", "http.handlers.authz_token"} {
		if !strings.Contains(out, m+"\n") {
			t.Errorf("list-modules lacks %s", m)
		}
	}
}

// TestCaddyTokenFlow: authz_token issues a token that authz verifies
// through a jwks_url on the same Caddy (fetched once the listener is up).
func TestCaddyTokenFlow(t *testing.T) {
	up := newCaddyRecorder(t)
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	caddyStart(t, []string{caddySite(port, fmt.Sprintf(`	authz_token {
		issuer %[1]s
		client reporting {
			secret s3cret
			permissions reports:read
			groups services
		}
	}
	authz {
		rule GET /reports `+"`permissions[\"reports:read\"]`"+`
		jwt {
			jwks_url %[1]s/.well-known/jwks.json
			issuer %[1]s
		}
	}
	reverse_proxy %[2]s`, base, up.hostPort()))}, port)
	addr := "127.0.0.1:" + strconv.Itoa(port)

	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("reporting", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok.AccessToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token: %d %+v", resp.StatusCode, tok)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		id := up.next()
		resp, body, err := caddyRaw(addr, "GET", "/reports", map[string]string{"Authorization": "Bearer " + tok.AccessToken, "X-Test-Id": id})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 200 {
			e, _ := up.got(id)
			if g := e.Header["Miauserid"]; len(g) != 1 || g[0] != "reporting" {
				t.Errorf("upstream miauserid %q", g)
			}
			if g := e.Header["Miausergroups"]; len(g) != 1 || g[0] != "services" {
				t.Errorf("upstream miausergroups %q", g)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("token not accepted within 10s: %d %s", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp2, _, _ := caddyRaw(addr, "GET", "/reports", map[string]string{"Authorization": "Bearer " + tok.AccessToken + "x"})
	if resp2.StatusCode != 401 || !strings.Contains(resp2.Header.Get("Www-Authenticate"), "invalid_token") {
		t.Errorf("tampered token: %d %q", resp2.StatusCode, resp2.Header.Get("Www-Authenticate"))
	}
}

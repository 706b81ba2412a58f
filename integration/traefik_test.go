package integration

// The plugin in a real Traefik v3.6 binary (TRAEFIK_BIN), loaded from
// plugins-local/ with abortOnPluginFailure, in front of a real userinfo
// server and upstream on loopback.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// traefikSanitizeDeviations are the shared rows whose outcome differs on
// an entry point with Traefik's default sanitizePath: true, because
// Traefik cleans the path (url.URL.JoinPath) before any middleware runs.
// The same rows pass unchanged on an entry point with sanitizePath: false.
var traefikSanitizeDeviations = map[string]traefikDeviation{
	"above root rejected": {status: http.StatusOK, upPath: "/x",
		why: "Traefik's sanitizePath turns /public/../../x into /x before the plugin sees it (the plugin never sees the ..; / allows GET)"},
}

// traefikMainDynamic is the dynamic configuration of TestTraefikPlugin.
func traefikMainDynamic(eps map[string]string, userinfo, app, ws string, root string) string {
	common := fmt.Sprintf(`
          userinfoUrl: %s
          rulesFile: %s
          permissionsKey: permissions
          userPropertiesToProxy:
            - email`, userinfo, filepath.Join(root, "integration", "testdata", "auth.json"))
	inputs := `
          apiKeys:
            - key: mobile-key
              clientType: mobile
            - key: web-key
              clientType: web
          loginRedirect: "` + loginRedirectURL + `"
          preflight: pass`
	backoffice := `
          apiKeys:
            - keySha256: ` + mobileKeySHA256 + `
              clientType: mobile
          backoffice: "true"`
	edge := `
          clientType: header
          backoffice: header`
	return fmt.Sprintf(`
http:
  routers:
    backoffice:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [backoffice]
      middlewares: [authz-backoffice]
      service: app
    edge:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [edge]
      middlewares: [authz-edge]
      service: app
    cached:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [cached]
      middlewares: [authz-cached]
      service: app
    strict:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [web, raw]
      middlewares: [authz-strict]
      service: app
    websocket:
      rule: PathPrefix(`+"`/users/ws`"+`)
      priority: 1000
      entryPoints: [web]
      middlewares: [authz-strict]
      service: ws
    lenient:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [lenient]
      middlewares: [authz-lenient]
      service: app
    decide:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [decide]
      middlewares: [authz-decision]
      service: app
    forward:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [forward]
      middlewares: [forward-auth]
      service: app
    forward-open:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [forwardopen]
      middlewares: [forward-auth-open]
      service: app
    control:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [control]
      service: app
  middlewares:
    authz-strict:
      plugin:
        aclgate:%[1]s%[5]s
    authz-lenient:
      plugin:
        aclgate:
          strict: false%[1]s%[5]s
    authz-backoffice:
      plugin:
        aclgate:%[1]s%[6]s
    authz-edge:
      plugin:
        aclgate:%[1]s%[7]s
    authz-cached:
      plugin:
        aclgate:%[1]s%[5]s
          cacheTtl: 1m
    authz-decision:
      plugin:
        aclgate:
          mode: decision%[1]s
    forward-auth:
      forwardAuth:
        address: http://%[2]s/auth
        trustForwardHeader: false
        authRequestHeaders: [Authorization, Cookie, Client-Type, Isbackoffice]
        authResponseHeaders: [Mia-Allowed, Mia-Userid, Mia-Groups, Mia-Userproperties]
    forward-auth-open:
      forwardAuth:
        address: http://%[2]s/auth
        trustForwardHeader: false
        authResponseHeaders: [Mia-Allowed, Mia-Userid, Mia-Groups, Mia-Userproperties]
  services:
    app:
      loadBalancer:
        servers:
          - url: %[3]s
    ws:
      loadBalancer:
        servers:
          - url: %[4]s
`, common, eps["decide"], app, ws, inputs, backoffice, edge)
}

func TestTraefikPlugin(t *testing.T) {
	ui := newUserinfoServer(t)
	app := newUpstream(t)
	wsSrv := httptest.NewServer(traefikWSEchoHandler(t))
	t.Cleanup(wsSrv.Close)
	root := repoRoot(t)
	p := traefikStart(t, []traefikEntryPoint{
		{name: "web"},
		{name: "raw", body: "http:\n  sanitizePath: false"},
		{name: "lenient"},
		// forwardAuth's X-Forwarded-Uri/Method come from Traefik itself:
		// an entry point drops X-Forwarded-* from peers it does not trust.
		{name: "decide", body: "forwardedHeaders:\n  trustedIPs: [127.0.0.1/32]"},
		{name: "forward"},
		{name: "forwardopen"},
		{name: "control"},
		{name: "backoffice"},
		{name: "edge"},
		{name: "cached"},
	}, func(eps map[string]string) string {
		return traefikMainDynamic(eps, ui.URL, app.URL, wsSrv.URL, root)
	})
	p.waitEnabled(t, "authz-strict@file", "authz-lenient@file", "authz-decision@file", "forward-auth@file", "authz-backoffice@file", "authz-edge@file", "authz-cached@file")
	for _, r := range []string{"strict@file", "lenient@file", "decide@file", "forward@file", "websocket@file", "backoffice@file", "edge@file"} {
		if o, ok := p.apiGet(t, "routers", r); !ok || o.Status != "enabled" || len(o.Error) > 0 {
			t.Fatalf("router %s: %+v", r, o)
		}
	}
	if o, _ := p.apiGet(t, "middlewares", "authz-strict@file"); o.Type != "aclgate" && o.Type != "plugin" {
		t.Logf("middleware type %q", o.Type)
	}

	frontend := append(sharedCases, inputCases...)
	t.Run("shared/strict", func(t *testing.T) {
		for _, c := range frontend {
			t.Run(c.name, func(t *testing.T) { traefikCheckCase(t, p.eps["web"], c, true, traefikSanitizeDeviations) })
		}
	})
	t.Run("shared/strict-sanitizePath-false", func(t *testing.T) {
		for _, c := range frontend {
			t.Run(c.name, func(t *testing.T) { traefikCheckCase(t, p.eps["raw"], c, true, nil) })
		}
	})
	t.Run("shared/non-strict", func(t *testing.T) {
		for _, c := range frontend {
			t.Run(c.name, func(t *testing.T) { traefikCheckCase(t, p.eps["lenient"], c, false, traefikSanitizeDeviations) })
		}
	})
	// the cached path gives the uncached answers: the same rows twice on a
	// middleware with the userinfo cache, the second time from the cache
	for _, pass := range []string{"fill", "hit"} {
		t.Run("shared/cached-userinfo/"+pass, func(t *testing.T) {
			for _, c := range frontend {
				t.Run(c.name, func(t *testing.T) { traefikCheckCase(t, p.eps["cached"], c, true, traefikSanitizeDeviations) })
			}
		})
	}
	t.Run("shared/behind-edge", func(t *testing.T) {
		for _, c := range append(sharedCases, edgeCases...) {
			t.Run(c.name, func(t *testing.T) { traefikCheckCase(t, p.eps["edge"], c, true, traefikSanitizeDeviations) })
		}
	})
	t.Run("shared/backoffice", func(t *testing.T) {
		for _, c := range append(sharedCases, backofficeCases...) {
			t.Run(c.name, func(t *testing.T) { traefikCheckCase(t, p.eps["backoffice"], c, true, traefikSanitizeDeviations) })
		}
	})

	t.Run("alias headers", func(t *testing.T) { traefikCheckAliases(t, p) })
	t.Run("forwardAuth decision", func(t *testing.T) { traefikCheckForwardAuth(t, p) })
	t.Run("decision endpoint", func(t *testing.T) { traefikCheckDecisionEndpoint(t, p) })
	t.Run("websocket", func(t *testing.T) { traefikCheckWebsocket(t, p) })
}

// traefikEcho GETs path on addr with header and decodes the upstream echo.
func traefikEcho(t *testing.T, addr, method, path string, header map[string]string) (int, echo, http.Header, []byte) {
	t.Helper()
	resp, body, err := traefikRaw(addr, method, path, header)
	if err != nil {
		t.Fatal(err)
	}
	var e echo
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("echo: %v: %s", err, body)
		}
	}
	return resp.StatusCode, e, resp.Header, body
}

// traefikGuarded are the normalized names of the identity headers that
// anti-spoofing removes, with the default configuration.
var traefikGuarded = map[string]bool{
	"miauserid": true, "miausergroups": true, "miauserproperties": true,
	"mia-allowed": true, "mia-userid": true, "mia-groups": true, "mia-userproperties": true,
}

// traefikCheckAliases: what Traefik itself forwards for alias spellings
// (control router, no plugin), and that the plugin strips every one.
func traefikCheckAliases(t *testing.T, p *traefikProc) {
	// every name normalizes (lower-case, non-alphanumerics → '-') to an identity header
	spoof := map[string]string{
		"Mia_userid": "evil", "Mia.userid": "evil", "MIA_GROUPS": "admin", "mia.userproperties": "{}",
		"MiaUserId": "evil", "MIAUSERGROUPS": "admin", "Mia_Allowed": "1", "miauserid": "evil",
		"MIAUSERPROPERTIES": "{}", "mia-userid": "evil",
	}
	_, ctl, _, _ := traefikEcho(t, p.eps["control"], "GET", "/", spoof)
	var forwarded []string
	for name := range ctl.Header {
		if traefikGuarded[traefikNormHeader(name)] {
			forwarded = append(forwarded, name)
		}
	}
	t.Logf("without the plugin Traefik v3.6.12 forwards: %v", forwarded)
	if len(forwarded) == 0 {
		t.Fatal("control: Traefik forwarded no spoofed header; the check below would prove nothing")
	}
	for _, ep := range []string{"web", "lenient"} {
		status, got, _, body := traefikEcho(t, p.eps[ep], "GET", "/", spoof)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d %s", ep, status, body)
		}
		for name, v := range got.Header {
			if traefikGuarded[traefikNormHeader(name)] && !(ep == "lenient" && name == "Mia-Allowed" && len(v) == 1 && v[0] == "1") {
				t.Errorf("%s: upstream got %s: %q", ep, name, v)
			}
		}
	}
	// with a user: the real id replaces every spelling
	spoof["Authorization"] = "Bearer admin"
	_, got, _, _ := traefikEcho(t, p.eps["web"], "GET", "/users/", spoof)
	for name, v := range got.Header {
		n := traefikNormHeader(name)
		switch {
		case name == "Miauserid":
			if len(v) != 1 || v[0] != "u-admin" {
				t.Errorf("Miauserid = %q", v)
			}
		case name == "Miausergroups":
			if len(v) != 1 || v[0] != "admin,ops" {
				t.Errorf("Miausergroups = %q", v)
			}
		case name == "Miauserproperties":
			if len(v) != 1 || v[0] != `{"email":"admin@example.com"}` {
				t.Errorf("Miauserproperties = %q", v)
			}
		case traefikGuarded[n]:
			t.Errorf("upstream got %s: %q", name, v)
		}
	}
}

// traefikCheckForwardAuth: Traefik's own forwardAuth calling the plugin in
// decision mode on another entry point.
func traefikCheckForwardAuth(t *testing.T, p *traefikProc) {
	addr := p.eps["forward"]
	status, got, _, body := traefikEcho(t, addr, "GET", "/users/?page=2", map[string]string{"Authorization": "Bearer admin", "Mia-Userid": "evil"})
	if status != http.StatusOK {
		t.Fatalf("admin: status %d %s", status, body)
	}
	h := http.Header(got.Header)
	want := map[string]string{"Mia-Allowed": "1", "Mia-Userid": "u-admin", "Mia-Groups": "admin,ops", "Mia-Userproperties": `{"email":"admin@example.com"}`}
	for k, v := range want {
		if vs := h.Values(k); len(vs) != 1 || vs[0] != v {
			t.Errorf("upstream %s = %q, want %q", k, vs, v)
		}
	}
	if got.Path != "/users/" || got.RawURI != "/users/?page=2" {
		t.Errorf("upstream path %q uri %q", got.Path, got.RawURI)
	}

	rows := []struct {
		method, path, token string
		status              int
	}{
		{"GET", "/users/", "", 401},
		{"DELETE", "/users/7", "Bearer reader", 403},
		{"GET", "/users/7", "Bearer reader", 200},
		{"HEAD", "/users/7", "Bearer reader", 200},
		{"POST", "/public/x", "", 200},
		{"POST", "/", "", 401},
		{"GET", "/public/../admin/x", "Bearer reader", 403},
	}
	for _, r := range rows {
		hdr := map[string]string{}
		if r.token != "" {
			hdr["Authorization"] = r.token
		}
		resp, body, err := traefikRaw(addr, r.method, r.path, hdr)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != r.status {
			t.Errorf("%s %s %s: %d, want %d (%s)", r.method, r.path, r.token, resp.StatusCode, r.status, body)
			continue
		}
		if r.status != 200 {
			// the decision's answer is passed back: status, mia-* headers, JSON body
			if resp.Header.Get("Mia-Allowed") != "0" || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(body), fmt.Sprintf(`"statusCode":%d`, r.status)) {
				t.Errorf("%s %s: headers %v body %s", r.method, r.path, resp.Header, body)
			}
		}
	}

	// Original-Request-Uri takes precedence over X-Forwarded-Uri in decision
	// mode. forwardAuth forwards the client's headers, so without
	// an authRequestHeaders allow-list a client can ask for the decision of
	// another path. With the allow-list (forward-auth) it cannot.
	spoof := map[string]string{"Original-Request-Uri": "/public/x", "Original-Request-Method": "POST"}
	resp, _, err := traefikRaw(addr, "GET", "/users/", spoof)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("with authRequestHeaders: spoofed Original-Request-Uri gave %d, want 401", resp.StatusCode)
	}
	resp, _, err = traefikRaw(p.eps["forwardopen"], "GET", "/users/", spoof)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("forwardAuth WITHOUT authRequestHeaders, GET /users/ with a spoofed Original-Request-Uri: %d (200 = the client chose the decided path)", resp.StatusCode)

	// forwardAuth replaces the canonical spellings only: an alias the client
	// sends reaches the upstream in decision mode (Traefik ≥ 3.7.12:
	// entryPoints.<ep>.http.aliasHeadersStrategy: delete).
	_, got, _, _ = traefikEcho(t, addr, "GET", "/", map[string]string{"Mia_userid": "evil"})
	if len(got.Header["Mia_userid"]) > 0 {
		t.Logf("decision mode behind forwardAuth: the alias Mia_userid reaches the upstream (%q); Traefik v3.6 has no aliasHeadersStrategy", got.Header["Mia_userid"])
	}
}

// traefikCheckDecisionEndpoint calls the decision-mode router directly, as
// nginx auth_request or Envoy ext_authz would.
func traefikCheckDecisionEndpoint(t *testing.T, p *traefikProc) {
	addr := p.eps["decide"]
	resp, body, err := traefikRaw(addr, "GET", "/auth/users/7", map[string]string{
		"Original-Request-Uri": "/users/7?x=1", "Original-Request-Method": "GET", "Authorization": "Bearer reader",
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Mia-Allowed") != "1" || resp.Header.Get("Mia-Userid") != "u-reader" ||
		resp.Header.Get("Mia-Groups") != "user" || resp.Header.Get("Mia-Userproperties") != `{"email":"reader@example.com"}` {
		t.Errorf("allowed: %d %v", resp.StatusCode, resp.Header)
	}
	if strings.Contains(string(body), `"path"`) {
		t.Errorf("decision mode called the upstream: %s", body)
	}
	resp, _, err = traefikRaw(addr, "GET", "/auth", map[string]string{"X-Forwarded-Uri": "/users/", "X-Forwarded-Method": "GET"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 401 || resp.Header.Get("Mia-Allowed") != "0" || len(resp.Header.Values("Mia-Userid")) != 1 {
		t.Errorf("anonymous: %d %v", resp.StatusCode, resp.Header)
	}
	// never a redirect, also on // and %2F%2F
	for _, target := range []string{"//", "/%2F%2F"} {
		resp, _, err = traefikRaw(addr, "GET", target, map[string]string{"X-Forwarded-Uri": "/", "X-Forwarded-Method": "GET"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Location") != "" {
			t.Errorf("GET %s: %d %v", target, resp.StatusCode, resp.Header)
		}
	}
}

func traefikCheckWebsocket(t *testing.T, p *traefikProc) {
	addr := p.eps["web"]
	conn, br, resp, err := traefikWSDial(addr, "/users/ws", map[string]string{"Authorization": "Bearer admin", "Mia_userid": "evil"})
	if err != nil {
		t.Fatal(err)
	}
	if conn == nil {
		t.Fatalf("handshake: status %d %v", resp.StatusCode, resp.Header)
	}
	defer conn.Close()
	if err := traefikWSWriteFrame(conn, 1, []byte("hello"), true); err != nil {
		t.Fatal(err)
	}
	op, payload, err := traefikWSReadFrame(br)
	if err != nil {
		t.Fatal(err)
	}
	if op != 1 || string(payload) != "u-admin:hello" {
		t.Errorf("echo frame op %d %q", op, payload)
	}
	if op, _, err := traefikWSReadFrame(br); err != nil || op != 8 {
		t.Errorf("close frame: op %d err %v", op, err)
	}

	// denied upgrade: the plugin answers, nothing is switched
	conn, _, resp, err = traefikWSDial(addr, "/users/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if conn != nil {
		conn.Close()
		t.Fatal("anonymous upgrade switched protocols")
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous upgrade: %d", resp.StatusCode)
	}
}

// TestTraefikReload: the file provider reloads a changed dynamic
// configuration; Traefik re-runs New and the decision changes. A broken
// configuration is reported in the API with the plugin's message.
func TestTraefikReload(t *testing.T) {
	app := newUpstream(t)
	dyn := func(rules, extra string) string {
		return fmt.Sprintf(`
http:
  routers:
    app:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [web]
      middlewares: [authz]
      service: app
  middlewares:
    authz:
      plugin:
        aclgate:
          trustUserHeaders: true
          rulesJson: '%s'%s
  services:
    app:
      loadBalancer:
        servers:
          - url: %s
`, rules, extra, app.URL)
	}
	open := `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	closed := `{"/": {"ALL": {"authorization": {"expression": "groups.admin", "public": false}}}, "/health": {"GET": {"authorization": {"expression": "true", "public": true}}}}`
	p := traefikStart(t, []traefikEntryPoint{{name: "web"}}, func(map[string]string) string { return dyn(open, "") })
	p.waitEnabled(t, "authz@file")
	status := func(path string, hdr map[string]string) int {
		resp, _, err := traefikRaw(p.eps["web"], "GET", path, hdr)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	if s := status("/data", nil); s != 200 {
		t.Fatalf("before reload: %d", s)
	}

	p.rewrite(t, dyn(closed, ""))
	traefikEventually(t, p, "rules changed", func() bool { return status("/data", nil) == 401 })
	if s := status("/health", nil); s != 200 {
		t.Errorf("after reload /health: %d", s)
	}
	if s := status("/data", map[string]string{"miauserid": "u1", "miausergroups": "admin"}); s != 200 {
		t.Errorf("after reload, admin: %d", s)
	}

	// a broken configuration: Traefik keeps running, reports New's error
	p.rewrite(t, dyn(closed, "\n          cacheTtl: later"))
	var last traefikAPIObject
	traefikEventually(t, p, "error reported", func() bool {
		last, _ = p.apiGet(t, "routers", "app@file")
		return len(last.Error) > 0
	})
	msg := strings.Join(last.Error, "; ")
	if !strings.Contains(msg, "authz@file: cacheTtl") || !strings.Contains(msg, `"later"`) {
		t.Errorf("router error %q does not name the middleware and the option", msg)
	}
	t.Logf("router status %q, error %q; GET /data → %d", last.Status, msg, status("/data", nil))
}

func traefikEventually(t *testing.T, p *traefikProc, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s\n%s", what, traefikTail(p.logs.String(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package integration

// The attack table: requests that try to get past the rules, or to reach
// the upstream with an identity the gateway never granted, sent with raw
// request lines to a real Caddy and a real Traefik with the same rows. Each
// row states the status and what the upstream must and must not receive,
// and asserts both. The classes: matrix parameters, Connection tokens,
// request trailers, decision-mode targets, group names that split, JWTs
// without exp, method and URL override headers, case, trailing slash and
// double encoding, plus the bypasses of other gateways (dot segments,
// encoded slashes, double slashes, query strings, spoofed identity headers,
// alias spellings, a spoofed X-Forwarded-Uri inline, alg none, an identity
// service that is down).

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// attackSecret is the HMAC key of the jwt gateway.
const attackSecret = "attack-hmac-secret-0123456789abcdef"

// attackUpstream records what it received, headers and trailers, per
// X-Test-Id.
type attackUpstream struct {
	*httptest.Server
	seq  atomic.Int64
	mu   sync.Mutex
	seen map[string]attackEcho
}

// attackEcho is what the upstream received for one request.
type attackEcho struct {
	Method  string
	Path    string
	RawURI  string
	Header  http.Header
	Trailer http.Header
	Body    string
}

func newAttackUpstream(t *testing.T) *attackUpstream {
	t.Helper()
	u := &attackUpstream{seen: map[string]attackEcho{}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e := attackEcho{Method: r.Method, Path: r.URL.Path, RawURI: r.RequestURI, Header: r.Header.Clone(), Trailer: r.Trailer.Clone(), Body: string(body)}
		if id := r.Header.Get("X-Test-Id"); id != "" {
			u.mu.Lock()
			u.seen[id] = e
			u.mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "upstream")
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *attackUpstream) next() string { return "a" + strconv.FormatInt(u.seq.Add(1), 10) }

func (u *attackUpstream) got(id string) (attackEcho, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	e, ok := u.seen[id]
	return e, ok
}

func (u *attackUpstream) hostPort() string { return strings.TrimPrefix(u.URL, "http://") }

// newAttackUserinfo is the shared userinfo server plus a user whose groups
// cannot be carried in miausergroups.
func newAttackUserinfo(t *testing.T) *httptest.Server {
	t.Helper()
	extra := map[string]map[string]any{
		"comma": {"sub": "u-comma", "groups": []string{"team-x,admin", " admin", "admin ", "ok"}, "email": "comma@example.com"},
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		u, ok := users[tok]
		if !ok {
			u, ok = extra[tok]
		}
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(u)
	}))
	t.Cleanup(s.Close)
	return s
}

// attackJWT signs claims with HS256 and attackSecret; alg overrides the
// header's alg (the signature stays HS256, or is empty for "none").
func attackJWT(claims map[string]any, alg string) string {
	enc := base64.RawURLEncoding
	hdr, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	pl, _ := json.Marshal(claims)
	in := enc.EncodeToString(hdr) + "." + enc.EncodeToString(pl)
	if alg == "none" {
		return in + "."
	}
	m := hmac.New(sha256.New, []byte(attackSecret))
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

// attackRow is one attack.
type attackRow struct {
	name string
	// via: "inline" (a strict and a non-strict gateway with userinfo),
	// "jwt" (strict, jwt), "front" (a forward-auth front end before a
	// decision-mode gateway), "down" (strict, userinfo service down).
	via            string
	method, target string
	header         [][2]string
	// chunked body and trailers (sent when body != "")
	body    string
	trailer [][2]string
	// status, strict and non-strict (for via != "inline" only strict)
	strict, lenient int
	// what the upstream must receive when the request reaches it
	upPath string
	upHas  map[string]string
	// names (any spelling) the upstream must not receive, as a header or
	// a trailer
	upNot []string
}

var identityNames = []string{"miauserid", "miausergroups", "miauserproperties", "mia-allowed", "mia-userid", "mia-groups", "mia-userproperties"}

func attackRows() []attackRow {
	exp := time.Now().Add(time.Hour).Unix()
	good := attackJWT(map[string]any{"sub": "c1", "groups": []string{"admin"}, "exp": exp}, "HS256")
	noExp := attackJWT(map[string]any{"sub": "c1", "groups": []string{"admin"}}, "HS256")
	expired := attackJWT(map[string]any{"sub": "c1", "groups": []string{"admin"}, "exp": 1000}, "HS256")
	none := attackJWT(map[string]any{"sub": "c1", "groups": []string{"admin"}, "exp": exp}, "none")
	commaJWT := attackJWT(map[string]any{"sub": "c2", "groups": []string{"team-x,admin", "ok"}, "exp": exp}, "HS256")
	admin := [2]string{"Authorization", "Bearer admin"}
	reader := [2]string{"Authorization", "Bearer reader"}
	adminHas := map[string]string{"Miauserid": "u-admin", "Miausergroups": "admin,ops"}
	return []attackRow{
		// matrix parameters: servlet containers strip them after the gateway decided
		{name: "matrix parameter on a protected path", via: "inline", method: "GET", target: "/admin;jsessionid=x", strict: 400, lenient: 400},
		{name: "matrix parameter after dot-dot", via: "inline", method: "GET", target: "/public/..;/admin/x", strict: 400, lenient: 400},
		{name: "encoded matrix parameter %3B", via: "inline", method: "GET", target: "/admin%3Bx/y", strict: 400, lenient: 400},
		{name: "encoded matrix parameter %3b", via: "inline", method: "GET", target: "/admin%3b/x", strict: 400, lenient: 400},

		// Connection tokens naming the headers aclgate emits
		{name: "Connection names the identity headers", via: "inline", method: "GET", target: "/users/", header: [][2]string{admin, {"Connection", "keep-alive, Miauserid, miausergroups, MIAUSERPROPERTIES"}},
			strict: 200, lenient: 200, upPath: "/users/", upHas: adminHas},
		{name: "Connection names mia-allowed (non-strict denial)", via: "inline", method: "GET", target: "/users/", header: [][2]string{{"Connection", "mia-allowed"}},
			strict: 401, lenient: 200, upPath: "/users/", upHas: map[string]string{"Mia-Allowed": "0"}},
		{name: "Connection names an alias of mia-allowed", via: "inline", method: "GET", target: "/users/", header: [][2]string{{"Connection", "Mia_Allowed, close"}},
			strict: 401, lenient: 200, upPath: "/users/", upHas: map[string]string{"Mia-Allowed": "0"}},
		{name: "two Connection headers", via: "inline", method: "GET", target: "/users/", header: [][2]string{admin, {"Connection", "miauserid"}, {"Connection", "miausergroups"}},
			strict: 200, lenient: 200, upPath: "/users/", upHas: adminHas},

		// request trailers carrying identity header names
		{name: "announced identity trailers", via: "inline", method: "POST", target: "/public/x", header: [][2]string{{"Trailer", "Miauserid, Miausergroups, Mia-Allowed"}},
			body: "hello", trailer: [][2]string{{"Miauserid", "evil"}, {"Miausergroups", "admin"}, {"Mia-Allowed", "1"}},
			strict: 200, lenient: 200, upPath: "/public/x", upNot: []string{"miauserid", "miausergroups"}},
		{name: "unannounced identity trailers", via: "inline", method: "POST", target: "/public/x",
			body: "hello", trailer: [][2]string{{"Miauserid", "evil"}, {"Miausergroups", "admin"}},
			strict: 200, lenient: 200, upPath: "/public/x", upNot: []string{"miauserid", "miausergroups"}},
		{name: "identity trailers of a user's request", via: "inline", method: "POST", target: "/users/", header: [][2]string{admin, {"Trailer", "Miauserid"}},
			body: "hello", trailer: [][2]string{{"Miauserid", "evil"}},
			strict: 200, lenient: 200, upPath: "/users/", upHas: adminHas},

		// decision mode behind a forward-auth front end: the front end sets
		// X-Forwarded-*, the client sends Original-Request-*
		{name: "client Original-Request-Uri disagrees with the front end", via: "front", method: "GET", target: "/admin/x", header: [][2]string{{"Original-Request-Uri", "/public/x"}, {"Original-Request-Method", "GET"}}, strict: 400},
		{name: "client Original-Request-Method disagrees with the front end", via: "front", method: "DELETE", target: "/users/7", header: [][2]string{reader, {"Original-Request-Uri", "/users/7"}, {"Original-Request-Method", "GET"}}, strict: 400},
		{name: "client Original-Request-* agreeing with the front end", via: "front", method: "GET", target: "/users/7", header: [][2]string{reader, {"Original-Request-Uri", "/users/7"}, {"Original-Request-Method", "GET"}}, strict: 200, upPath: "/users/7"},
		{name: "front end: anonymous on a private path", via: "front", method: "GET", target: "/admin/x", strict: 401},

		// group names that would split into other groups
		{name: "userinfo group with a comma", via: "inline", method: "GET", target: "/admin/x", header: [][2]string{{"Authorization", "Bearer comma"}}, strict: 403, lenient: 200, upHas: map[string]string{"Miausergroups": "ok", "Mia-Allowed": "0"}},
		{name: "userinfo groups forwarded without the bad names", via: "inline", method: "GET", target: "/public/x", header: [][2]string{{"Authorization", "Bearer comma"}}, strict: 200, lenient: 200, upPath: "/public/x", upHas: map[string]string{"Miauserid": "u-comma", "Miausergroups": "ok"}},
		{name: "JWT group with a comma", via: "jwt", method: "GET", target: "/admin/x", header: [][2]string{{"Authorization", "Bearer " + commaJWT}}, strict: 403},

		// JWT checks
		{name: "JWT valid", via: "jwt", method: "GET", target: "/admin/x", header: [][2]string{{"Authorization", "Bearer " + good}}, strict: 200, upPath: "/admin/x", upHas: map[string]string{"Miauserid": "c1", "Miausergroups": "admin"}},
		{name: "JWT without exp", via: "jwt", method: "GET", target: "/admin/x", header: [][2]string{{"Authorization", "Bearer " + noExp}}, strict: 401},
		{name: "JWT without exp on a public route", via: "jwt", method: "GET", target: "/public/x", header: [][2]string{{"Authorization", "Bearer " + noExp}}, strict: 401},
		{name: "JWT expired", via: "jwt", method: "GET", target: "/admin/x", header: [][2]string{{"Authorization", "Bearer " + expired}}, strict: 401},
		{name: "JWT alg none", via: "jwt", method: "GET", target: "/admin/x", header: [][2]string{{"Authorization", "Bearer " + none}}, strict: 401},
		{name: "JWT twice", via: "jwt", method: "GET", target: "/admin/x", header: [][2]string{{"Authorization", "Bearer " + good}, {"Authorization", "Bearer " + noExp}}, strict: 401},

		// method and URL override headers
		{name: "method override headers removed", via: "inline", method: "POST", target: "/public/x",
			header: [][2]string{{"X-HTTP-Method-Override", "DELETE"}, {"X-Http-Method", "DELETE"}, {"X-Method-Override", "DELETE"}},
			strict: 200, lenient: 200, upPath: "/public/x", upNot: []string{"x-http-method-override", "x-http-method", "x-method-override"}},
		{name: "URL override headers removed", via: "inline", method: "GET", target: "/public/x",
			header: [][2]string{{"X-Original-URL", "/admin/x"}, {"X-Rewrite-URL", "/admin/x"}},
			strict: 200, lenient: 200, upPath: "/public/x", upNot: []string{"x-original-url", "x-rewrite-url"}},

		// case, trailing slash, double encoding
		{name: "path case is kept (rules are case-sensitive)", via: "inline", method: "GET", target: "/ADMIN/x", strict: 200, lenient: 200, upPath: "/ADMIN/x"},
		{name: "lower-case method matches no rule", via: "inline", method: "get", target: "/public/x", strict: 401, lenient: 200, upHas: map[string]string{"Mia-Allowed": "0"}},
		{name: "prefix key without its trailing slash", via: "inline", method: "GET", target: "/admin", strict: 401, lenient: 200, upPath: "/admin", upHas: map[string]string{"Mia-Allowed": "0"}},
		{name: "double-encoded dot-dot", via: "inline", method: "GET", target: "/public/%252e%252e/admin/x", strict: 400, lenient: 400},
		{name: "double-encoded slash", via: "inline", method: "GET", target: "/public%252f..%252fadmin/x", strict: 400, lenient: 400},

		// the bypasses of other gateways
		{name: "dot-dot segments", via: "inline", method: "GET", target: "/public/../admin/x", strict: 401, lenient: 200, upPath: "/admin/x", upHas: map[string]string{"Mia-Allowed": "0"}},
		{name: "dot and dot-dot segments", via: "inline", method: "GET", target: "/public/./../admin/x", strict: 401, lenient: 200, upPath: "/admin/x"},
		{name: "encoded dot-dot", via: "inline", method: "GET", target: "/public/%2e%2E/admin/x", strict: 401, lenient: 200, upPath: "/admin/x"},
		{name: "half-encoded dot-dot", via: "inline", method: "GET", target: "/public/.%2e/admin/x", strict: 401, lenient: 200, upPath: "/admin/x"},
		{name: "dots inside a segment are a name", via: "inline", method: "GET", target: "/admin%2e%2e/x", strict: 200, lenient: 200, upPath: "/admin../x"},
		{name: "encoded slash %2F", via: "inline", method: "GET", target: "/admin%2Fx", strict: 400, lenient: 400},
		{name: "encoded slash %2f", via: "inline", method: "GET", target: "/public%2f..%2fadmin/x", strict: 400, lenient: 400},
		{name: "encoded backslash", via: "inline", method: "GET", target: "/public/..%5cadmin/x", strict: 400, lenient: 400},
		{name: "leading double slash", via: "inline", method: "GET", target: "//admin/x", strict: 401, lenient: 200, upPath: "/admin/x"},
		{name: "inner double slash", via: "inline", method: "GET", target: "/admin//x", strict: 401, lenient: 200, upPath: "/admin/x"},
		{name: "query does not take part", via: "inline", method: "GET", target: "/public/x?a=/../admin/x", strict: 200, lenient: 200, upPath: "/public/x"},
		{name: "spoofed identity headers on a public route", via: "inline", method: "GET", target: "/public/x",
			header: [][2]string{{"Miauserid", "evil"}, {"Miausergroups", "admin"}, {"MIAUSERPROPERTIES", "{}"}, {"Mia-Userid", "evil"}, {"Mia-Groups", "admin"}},
			strict: 200, lenient: 200, upPath: "/public/x", upNot: []string{"miauserid", "miausergroups", "miauserproperties", "mia-userid", "mia-groups", "mia-userproperties"}},
		{name: "spoofed identity header twice, with a user", via: "inline", method: "GET", target: "/users/",
			header: [][2]string{admin, {"Miauserid", "evil"}, {"miauserid", "evil"}, {"Miausergroups", "admin,root"}},
			strict: 200, lenient: 200, upPath: "/users/", upHas: adminHas},
		{name: "spoofed mia-allowed", via: "inline", method: "GET", target: "/users/", header: [][2]string{{"Mia-Allowed", "1"}}, strict: 401, lenient: 200, upHas: map[string]string{"Mia-Allowed": "0"}},
		{name: "spoofed X-Forwarded-Uri and Original-Request-Uri inline", via: "inline", method: "GET", target: "/admin/x",
			header: [][2]string{{"X-Forwarded-Uri", "/public/x"}, {"X-Forwarded-Method", "GET"}, {"Original-Request-Uri", "/public/x"}, {"Original-Request-Method", "GET"}}, strict: 401, lenient: 200, upPath: "/admin/x"},
		{name: "no rule for the method", via: "inline", method: "DELETE", target: "/", strict: 401, lenient: 200, upHas: map[string]string{"Mia-Allowed": "0"}},
		{name: "identity service down: protected route", via: "down", method: "GET", target: "/users/", header: [][2]string{{"Authorization", "Bearer header-secret"}}, strict: 401},
		{name: "identity service down: public route, token in the query", via: "down", method: "GET", target: "/public/x?access_token=qs-secret", header: [][2]string{{"Cookie", "sid=cookie-secret"}}, strict: 200, upPath: "/public/x"},
	}
}

// attackTargets are the addresses of one gateway's roles.
type attackTargets struct {
	strict, lenient, jwt, front, down string
	logs                              func() string
}

// attackDeviations are rows whose outcome differs on one gateway because
// of what the gateway does before aclgate runs; each says why.
type attackDeviation struct {
	strict, lenient int
	upPath          string
	why             string
}

// downUserinfo is a userinfo URL with credentials in its user info and
// query, on a port where nothing listens.
func downUserinfo(t *testing.T) string {
	return "http://alice:pa55word@127.0.0.1:" + strconv.Itoa(freePort(t)) + "/userinfo?access_token=qs-secret"
}

func TestAttackCaddy(t *testing.T) {
	ui := newAttackUserinfo(t)
	up := newAttackUpstream(t)
	rules := caddyAuthJSON(t)
	ports := map[string]int{}
	for _, r := range []string{"strict", "lenient", "jwt", "decide", "front", "down"} {
		ports[r] = freePort(t)
	}
	proxy := "\n\t}\n\treverse_proxy " + up.hostPort()
	p := caddyStart(t, []string{
		caddySite(ports["strict"], "\tauthz {"+caddyInline(ui.URL, rules, true)+proxy),
		caddySite(ports["lenient"], "\tauthz {"+caddyInline(ui.URL, rules, false)+proxy),
		caddySite(ports["jwt"], "\tauthz {\n\t\trules_file "+rules+"\n\t\tjwt {\n\t\t\thmac_secret "+attackSecret+"\n\t\t}"+proxy),
		caddySite(ports["decide"], "\tauthz {\n\t\tmode decision\n"+caddyInline(ui.URL, rules, true)+"\n\t}"),
		caddySite(ports["front"], fmt.Sprintf("\tforward_auth 127.0.0.1:%d {\n\t\turi /auth\n\t\tcopy_headers mia-userid mia-groups mia-userproperties\n\t}\n\treverse_proxy %s", ports["decide"], up.hostPort())),
		caddySite(ports["down"], "\tauthz {"+caddyInline(downUserinfo(t), rules, true)+proxy),
	}, ports["strict"], ports["lenient"], ports["jwt"], ports["decide"], ports["front"], ports["down"])
	addr := func(r string) string { return "127.0.0.1:" + strconv.Itoa(ports[r]) }
	runAttacks(t, up, attackTargets{strict: addr("strict"), lenient: addr("lenient"), jwt: addr("jwt"), front: addr("front"), down: addr("down"), logs: p.logs.String}, nil)
}

func TestAttackTraefik(t *testing.T) {
	ui := newAttackUserinfo(t)
	up := newAttackUpstream(t)
	root := repoRoot(t)
	rules := filepath.Join(root, "integration", "testdata", "auth.json")
	down := downUserinfo(t)
	p := traefikStart(t, []traefikEntryPoint{
		{name: "strict"}, {name: "lenient"}, {name: "jwt"},
		{name: "decide", body: "forwardedHeaders:\n  trustedIPs: [127.0.0.1/32]"},
		{name: "front"}, {name: "down"},
	}, func(eps map[string]string) string {
		router := func(name, mw string) string {
			m := ""
			if mw != "" {
				m = "\n      middlewares: [" + mw + "]"
			}
			return fmt.Sprintf("\n    %s:\n      rule: PathPrefix(`/`)\n      entryPoints: [%s]%s\n      service: app", name, name, m)
		}
		common := fmt.Sprintf("\n          rulesFile: %s\n          userinfoUrl: %s\n          permissionsKey: permissions\n          userPropertiesToProxy: [email]", rules, ui.URL)
		return "http:\n  routers:" + router("strict", "a-strict") + router("lenient", "a-lenient") + router("jwt", "a-jwt") +
			router("decide", "a-decide") + router("front", "a-front") + router("down", "a-down") + `
  middlewares:
    a-strict:
      plugin:
        aclgate:` + common + `
    a-lenient:
      plugin:
        aclgate:
          strict: false` + common + `
    a-decide:
      plugin:
        aclgate:
          mode: decision` + common + `
    a-jwt:
      plugin:
        aclgate:
          rulesFile: ` + rules + `
          jwt:
            hmacSecret: ` + attackSecret + `
    a-down:
      plugin:
        aclgate:
          rulesFile: ` + rules + `
          userinfoUrl: "` + down + `"
    a-front:
      forwardAuth:
        address: http://` + eps["decide"] + `/auth
        trustForwardHeader: false
        authResponseHeaders: [Mia-Allowed, Mia-Userid, Mia-Groups, Mia-Userproperties]
  services:
    app:
      loadBalancer:
        servers:
          - url: ` + up.URL + "\n"
	})
	p.waitEnabled(t, "a-strict@file", "a-lenient@file", "a-jwt@file", "a-decide@file", "a-down@file")
	runAttacks(t, up, attackTargets{strict: p.eps["strict"], lenient: p.eps["lenient"], jwt: p.eps["jwt"], front: p.eps["front"], down: p.eps["down"], logs: p.logs.String}, traefikAttackDeviations)
}

// traefikAttackDeviations: Traefik's entry points clean the path
// (sanitizePath, on by default) and refuse some encoded characters before
// any middleware runs.
var traefikAttackDeviations = map[string]attackDeviation{}

// runAttacks sends every row to its gateway role and checks the answer
// and what the upstream received; then that no credential reached the
// gateway's logs.
func runAttacks(t *testing.T, up *attackUpstream, gw attackTargets, dev map[string]attackDeviation) {
	rows := attackRows()
	for i := range rows {
		row := rows[i]
		type run struct {
			addr   string
			status int
			strict bool
		}
		var runs []run
		switch row.via {
		case "inline":
			runs = []run{{gw.strict, row.strict, true}, {gw.lenient, row.lenient, false}}
		case "jwt":
			runs = []run{{gw.jwt, row.strict, true}}
		case "front":
			runs = []run{{gw.front, row.strict, true}}
		case "down":
			runs = []run{{gw.down, row.strict, true}}
		default:
			t.Fatalf("%s: via %q", row.name, row.via)
		}
		for _, rn := range runs {
			name := row.name
			if row.via == "inline" && !rn.strict {
				name += " (non-strict)"
			}
			t.Run(name, func(t *testing.T) {
				status, upPath := rn.status, row.upPath
				if d, ok := dev[row.name]; ok {
					t.Logf("gateway deviation: %s", d.why)
					status, upPath = d.strict, d.upPath
					if !rn.strict {
						status = d.lenient
					}
				}
				attackCheck(t, up, rn.addr, row, status, upPath, rn.strict)
			})
		}
	}
	// aclgate's own log lines (Caddy: the authz logger; Traefik: the
	// plugin's stderr lines) never hold a credential. (Traefik's debug
	// dump of its dynamic configuration, which holds the configured
	// secrets, is Traefik's.)
	var own []string
	for _, line := range strings.Split(gw.logs(), "\n") {
		if strings.Contains(line, "http.handlers.authz") || strings.Contains(line, "aclgate") && !strings.Contains(line, "Configuration") {
			own = append(own, line)
		}
		if t.Failed() && (strings.Contains(line, "panic") || strings.Contains(line, "yaegi") || strings.Contains(line, ".go:")) {
			t.Log(line)
		}
	}
	logs := strings.Join(own, "\n")
	for _, secret := range []string{"pa55word", "qs-secret", "header-secret", "cookie-secret", attackSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("aclgate logged the credential %q", secret)
		}
	}
	if !strings.Contains(logs, "userinfo call failed") {
		t.Errorf("no warning about the identity service that is down")
	}
}

// attackCheck sends one row and checks its status and the upstream's view.
func attackCheck(t *testing.T, up *attackUpstream, addr string, row attackRow, status int, upPath string, strict bool) {
	t.Helper()
	id := up.next()
	resp, body, err := attackSend(addr, row, id)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d (%s)", row.method, row.target, resp.StatusCode, status, body)
	}
	e, reached := up.got(id)
	if status != http.StatusOK {
		if reached {
			t.Fatalf("a denied request reached the upstream: %s %s %v", e.Method, e.RawURI, e.Header)
		}
		return
	}
	if !reached {
		t.Fatalf("an allowed request did not reach the upstream (%s)", body)
	}
	if upPath != "" && e.Path != upPath {
		t.Errorf("upstream path %q (raw %q), want %q", e.Path, e.RawURI, upPath)
	}
	if row.body != "" && e.Body != row.body {
		t.Errorf("upstream body %q, want %q", e.Body, row.body)
	}
	for k, v := range row.upHas {
		if k == "Mia-Allowed" && strict {
			continue
		}
		if got := e.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("upstream %s = %q, want %q", k, got, v)
		}
	}
	for _, n := range row.upNot {
		for _, h := range []http.Header{e.Header, e.Trailer} {
			for name, vs := range h {
				if caddyNormHeader(name) == n {
					t.Errorf("upstream got %s: %q", name, vs)
				}
			}
		}
	}
	if strict && row.via != "front" { // a forward-auth front end copies the decision's mia-allowed
		if v, ok := e.Header["Mia-Allowed"]; ok {
			t.Errorf("strict: upstream got Mia-Allowed %q", v)
		}
	}
	// whatever the row: nothing the client made up reaches the upstream
	for _, h := range []http.Header{e.Header, e.Trailer} {
		for name, vs := range h {
			for _, v := range vs {
				if v == "evil" {
					t.Errorf("upstream got %s: %q", name, v)
				}
			}
		}
	}
	for _, n := range identityNames {
		for name, vs := range e.Trailer {
			if caddyNormHeader(name) == n {
				t.Errorf("upstream got the trailer %s: %q", name, vs)
			}
		}
	}
}

// attackSend writes the row as one raw HTTP/1.1 request (request line and
// header names exactly as written; a chunked body with trailers when the
// row has a body) and reads the answer.
func attackSend(addr string, row attackRow, id string) (*http.Response, []byte, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nX-Test-Id: %s\r\n", row.method, row.target, addr, id)
	for _, h := range row.header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if row.body != "" {
		fmt.Fprintf(&b, "Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n", len(row.body), row.body)
		for _, h := range row.trailer {
			fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: row.method})
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

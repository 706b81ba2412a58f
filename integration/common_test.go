package integration

// Shared fixtures of the real-binary tests: a real userinfo server, a real
// upstream that echoes what it received, and the request table that the
// Caddy and the Traefik tests both run (they must agree byte for byte).

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// users known to the userinfo server, by bearer token.
var users = map[string]map[string]any{
	"admin":  {"sub": "u-admin", "groups": []string{"admin", "ops"}, "permissions": []string{"users:read"}, "email": "admin@example.com"},
	"reader": {"sub": "u-reader", "groups": []string{"user"}, "permissions": []string{"users:read"}, "email": "reader@example.com"},
	"nobody": {"sub": "u-nobody", "groups": []string{}, "email": "nobody@example.com"},
}

// userinfoServer is a real identity service: Authorization: Bearer <name>
// answers the user, anything else 401. It counts its calls.
type userinfoServer struct {
	*httptest.Server
	calls atomic.Int64
}

func newUserinfoServer(t *testing.T) *userinfoServer {
	t.Helper()
	s := &userinfoServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		u, known := users[tok]
		if !ok || !known {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(u)
	}))
	t.Cleanup(s.Close)
	return s
}

// echo is what the upstream received.
type echo struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`
	RawURI string              `json:"raw_uri"`
	Header map[string][]string `json:"header"`
}

// newUpstream starts an upstream that answers 200 with an echo of the request.
func newUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(echo{Method: r.Method, Path: r.URL.Path, RawURI: r.RequestURI, Header: r.Header})
	}))
	t.Cleanup(s.Close)
	return s
}

// logBuffer collects a process's output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// freePort returns a port for a gateway to listen on: free a moment ago,
// never handed out before in this process, and below the kernel's
// ephemeral range, so that no port-0 listener and no outgoing connection
// (of this or any other process) can take it before the gateway binds
// it. Only another process that picks ports the same way could, and the
// Traefik harness retries its start-up on "address already in use".
func freePort(t *testing.T) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	low, high := portRange()
	for i := 0; i < 1000; i++ {
		port := low + portRand.Intn(high-low)
		if portsUsed[port] {
			continue
		}
		// the gateways listen on 127.0.0.1 or on every interface
		l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		l.Close()
		portsUsed[port] = true
		return port
	}
	t.Fatal("no free port below the ephemeral range")
	return 0
}

var (
	portMu    sync.Mutex
	portsUsed = map[int]bool{}
	portRand  = rand.New(rand.NewSource(time.Now().UnixNano() + int64(os.Getpid())))
)

// portRange is [low, high) of the ports freePort picks from: the 12000
// ports below the ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range,
// 32768–60999 by default).
func portRange() (int, int) {
	high := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 13000 {
				high = n
			}
		}
	}
	return high - 12000, high
}

// binary returns the path in env var name, skipping the test when unset
// (make integration always sets it).
func binary(t *testing.T, name string) string {
	t.Helper()
	p := os.Getenv(name)
	if p == "" {
		t.Skipf("%s is not set: run `make integration`", name)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s=%s: %v", name, p, err)
	}
	return p
}

// repoRoot is the aclgate checkout (ACLGATE_ROOT, else the parent directory).
func repoRoot(t *testing.T) string {
	if r := os.Getenv("ACLGATE_ROOT"); r != "" {
		return r
	}
	r, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// waitHTTP polls url until it answers (any status) or the deadline passes.
func waitHTTP(t *testing.T, url string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within %s", url, d)
}

// requestCase is one row of the shared table. The gateway under test runs
// authz inline with userinfo_url = the userinfo server, rules_file =
// testdata/auth.json, user_properties_to_proxy = email, in front of the
// upstream.
type requestCase struct {
	name    string
	method  string
	path    string // sent verbatim on the request line
	header  map[string]string
	strict  int // status in strict mode
	lenient int // status in non-strict mode
	// upstream expectations when the request reaches it
	upPath    string            // canonical path seen upstream
	upHeader  map[string]string // headers the upstream must see (exact value)
	upAbsent  []string          // headers the upstream must not see
	allowedNS string            // mia-allowed seen upstream in non-strict mode
	location  string            // Location of a 302 to the login page
}

var identityHeaders = []string{"Miauserid", "Miausergroups", "Miauserproperties", "Mia-Allowed", "Mia_userid", "Mia.userid", "MIAUSERID"}

// sharedCases is the request table both gateways must pass.
var sharedCases = []requestCase{
	{name: "public root anonymous", method: "GET", path: "/", strict: 200, lenient: 200, upPath: "/", upAbsent: []string{"Miauserid", "Miausergroups", "Miauserproperties"}, allowedNS: "1"},
	{name: "public prefix any method", method: "POST", path: "/public/x", strict: 200, lenient: 200, upPath: "/public/x", allowedNS: "1"},
	{name: "route not found", method: "POST", path: "/", strict: 401, lenient: 200, upPath: "/", allowedNS: "0"},
	{name: "private anonymous", method: "GET", path: "/users/", strict: 401, lenient: 200, upPath: "/users/", allowedNS: "0"},
	{name: "private unknown token", method: "GET", path: "/users/", header: map[string]string{"Authorization": "Bearer bogus"}, strict: 401, lenient: 200, upPath: "/users/", allowedNS: "0"},
	{name: "admin allowed", method: "GET", path: "/users/", header: map[string]string{"Authorization": "Bearer admin"}, strict: 200, lenient: 200, upPath: "/users/",
		upHeader: map[string]string{"Miauserid": "u-admin", "Miausergroups": "admin,ops", "Miauserproperties": `{"email":"admin@example.com"}`, "Authorization": "Bearer admin"}, allowedNS: "1"},
	{name: "reader forbidden on prefix", method: "DELETE", path: "/users/7", header: map[string]string{"Authorization": "Bearer reader"}, strict: 403, lenient: 200, upPath: "/users/7", allowedNS: "0"},
	{name: "reader allowed by permission", method: "GET", path: "/users/7", header: map[string]string{"Authorization": "Bearer reader"}, strict: 200, lenient: 200, upPath: "/users/7",
		upHeader: map[string]string{"Miauserid": "u-reader", "Miausergroups": "user"}, allowedNS: "1"},
	{name: "HEAD falls back to GET", method: "HEAD", path: "/users/7", header: map[string]string{"Authorization": "Bearer reader"}, strict: 200, lenient: 200, upPath: "/users/7", allowedNS: "1"},
	{name: "nobody forbidden", method: "GET", path: "/users/7", header: map[string]string{"Authorization": "Bearer nobody"}, strict: 403, lenient: 200, upPath: "/users/7", allowedNS: "0"},
	{name: "segment boundary", method: "GET", path: "/users-internal", header: map[string]string{"Authorization": "Bearer reader"}, strict: 200, lenient: 200, upPath: "/users-internal", allowedNS: "1"},
	{name: "backoffice admin", method: "GET", path: "/users/", header: map[string]string{"Authorization": "Bearer admin", "isbackoffice": "true"}, strict: 200, lenient: 200, upPath: "/users/", allowedNS: "1"},
	{name: "spoofed headers stripped", method: "GET", path: "/", header: map[string]string{"Miauserid": "evil", "Miausergroups": "admin", "Mia_userid": "evil", "Mia.userid": "evil", "MIAUSERPROPERTIES": "{}", "Mia-Allowed": "1"},
		strict: 200, lenient: 200, upPath: "/", upAbsent: []string{"Miauserid", "Miausergroups", "Miauserproperties", "Mia_userid", "Mia.userid"}, allowedNS: "1"},
	{name: "spoofed id replaced", method: "GET", path: "/users/", header: map[string]string{"Authorization": "Bearer admin", "Miauserid": "evil", "Mia_userid": "evil"},
		strict: 200, lenient: 200, upPath: "/users/", upHeader: map[string]string{"Miauserid": "u-admin"}, upAbsent: []string{"Mia_userid"}, allowedNS: "1"},
	{name: "dot segments resolved before matching", method: "GET", path: "/public/../admin/x", header: map[string]string{"Authorization": "Bearer reader"}, strict: 403, lenient: 200, upPath: "/admin/x", allowedNS: "0"},
	{name: "encoded dots resolved", method: "GET", path: "/public/%2e%2e/admin/x", strict: 401, lenient: 200, upPath: "/admin/x", allowedNS: "0"},
	{name: "canonical path forwarded", method: "GET", path: "/public//a/./b/../c", strict: 200, lenient: 200, upPath: "/public/a/c", allowedNS: "1"},
	{name: "encoded slash rejected", method: "GET", path: "/public/a%2Fb", strict: 400, lenient: 400},
	{name: "encoded backslash rejected", method: "GET", path: "/public/a%5cb", strict: 400, lenient: 400},
	{name: "above root rejected", method: "GET", path: "/public/../../x", strict: 400, lenient: 400},
	{name: "query does not take part", method: "GET", path: "/users/7?x=/../admin", header: map[string]string{"Authorization": "Bearer reader"}, strict: 200, lenient: 200, upPath: "/users/7", allowedNS: "1"},
}

// headerModeCases hold for an instance that reads client-type from the
// request (client_type header: decision mode's default, or inline behind a
// trusted edge).
var headerModeCases = []requestCase{
	{name: "client type", method: "GET", path: "/client", header: map[string]string{"client-type": "mobile"}, strict: 200, lenient: 200, upPath: "/client", allowedNS: "1"},
	{name: "client type wrong anonymous", method: "GET", path: "/client", header: map[string]string{"client-type": "web"}, strict: 401, lenient: 200, upPath: "/client", allowedNS: "0"},
}

// edgeCases hold for an inline instance behind a trusted edge
// (client_type header, backoffice header): it reads both headers and
// passes them on.
var edgeCases = append([]requestCase{
	{name: "isbackoffice honoured behind an edge", method: "GET", path: "/cms/x", header: map[string]string{"Isbackoffice": "true"},
		strict: 200, lenient: 200, upPath: "/cms/x", upHeader: map[string]string{"Isbackoffice": "true"}, allowedNS: "1"},
	{name: "client-type passed on behind an edge", method: "GET", path: "/client", header: map[string]string{"Client-Type": "mobile", "Client-Key": "anything"},
		strict: 200, lenient: 200, upPath: "/client", upHeader: map[string]string{"Client-Type": "mobile", "Client-Key": "anything"}, allowedNS: "1"},
}, headerModeCases...)

// mobileKeySHA256 is the SHA-256 of "mobile-key", as the backoffice
// instances configure it.
const mobileKeySHA256 = "57d419be43e536f6ecfa7f54599e9050db0eca72598b456400601ae346403973"

// Inline gateway inputs: both gateways run the frontend instances of the
// shared table with these API keys, the login redirect and preflight pass.
const (
	loginRedirectURL = "/web-login?redirect={uri}"
	browserAccept    = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
)

// inputCases are the rows of the gateway's own inputs on a frontend
// instance (backoffice false, client_type api_key, keys mobile-key →
// mobile and web-key → web, login_redirect, preflight pass).
var inputCases = []requestCase{
	{name: "spoofed client-type", method: "GET", path: "/client", header: map[string]string{"Client-Type": "mobile"},
		strict: 401, lenient: 200, upPath: "/client", upAbsent: []string{"Client-Type"}, allowedNS: "0"},
	{name: "spoofed client_type spelling stripped", method: "GET", path: "/", header: map[string]string{"Client.Type": "mobile", "CLIENT-TYPE": "mobile"},
		strict: 200, lenient: 200, upPath: "/", upAbsent: []string{"Client-Type"}, allowedNS: "1"},
	{name: "api key grants its client type", method: "GET", path: "/client", header: map[string]string{"Client-Key": "mobile-key"},
		strict: 200, lenient: 200, upPath: "/client", upHeader: map[string]string{"Client-Type": "mobile"}, upAbsent: []string{"Client-Key"}, allowedNS: "1"},
	{name: "api key in the deprecated secret header", method: "GET", path: "/client", header: map[string]string{"Secret": "mobile-key"},
		strict: 200, lenient: 200, upPath: "/client", upHeader: map[string]string{"Client-Type": "mobile"}, upAbsent: []string{"Secret"}, allowedNS: "1"},
	{name: "api key in the client_key cookie", method: "GET", path: "/client", header: map[string]string{"Cookie": "session=1; client_key=mobile-key"},
		strict: 200, lenient: 200, upPath: "/client", upHeader: map[string]string{"Client-Type": "mobile"}, allowedNS: "1"},
	{name: "key wins over a spoofed client-type", method: "GET", path: "/client", header: map[string]string{"Client-Key": "web-key", "Client-Type": "mobile"},
		strict: 401, lenient: 200, upPath: "/client", upHeader: map[string]string{"Client-Type": "web"}, allowedNS: "0"},
	{name: "unknown api key on a public route", method: "GET", path: "/", header: map[string]string{"Client-Key": "guessed"}, strict: 401, lenient: 401},
	{name: "unknown api key in a cookie", method: "GET", path: "/public/x", header: map[string]string{"Cookie": "client_key=guessed"}, strict: 401, lenient: 401},
	{name: "spoofed isbackoffice on a backoffice route", method: "GET", path: "/cms/x", header: map[string]string{"Isbackoffice": "true"},
		strict: 401, lenient: 200, upPath: "/cms/x", upAbsent: []string{"Isbackoffice"}, allowedNS: "0"},
	{name: "spoofed isbackoffice stripped", method: "GET", path: "/users/", header: map[string]string{"Authorization": "Bearer admin", "Isbackoffice": "1"},
		strict: 200, lenient: 200, upPath: "/users/", upHeader: map[string]string{"Miauserid": "u-admin"}, upAbsent: []string{"Isbackoffice"}, allowedNS: "1"},
	{name: "browser navigation goes to the login page", method: "GET", path: "/users/?tab=a&b=1", header: map[string]string{"Accept": browserAccept},
		strict: 302, lenient: 200, upPath: "/users/", allowedNS: "0", location: "/web-login?redirect=%2Fusers%2F%3Ftab%3Da%26b%3D1"},
	{name: "API client keeps the JSON 401", method: "GET", path: "/users/", header: map[string]string{"Accept": "application/json"},
		strict: 401, lenient: 200, upPath: "/users/", allowedNS: "0"},
	{name: "POST from a browser is not redirected", method: "POST", path: "/users/", header: map[string]string{"Accept": browserAccept},
		strict: 401, lenient: 200, upPath: "/users/", allowedNS: "0"},
	{name: "403 is never redirected", method: "GET", path: "/users/7", header: map[string]string{"Authorization": "Bearer nobody", "Accept": browserAccept},
		strict: 403, lenient: 200, upPath: "/users/7", allowedNS: "0"},
	{name: "CORS preflight passes", method: "OPTIONS", path: "/users/", header: map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "DELETE", "Miauserid": "evil"},
		strict: 200, lenient: 200, upPath: "/users/", upAbsent: []string{"Miauserid"}, allowedNS: "1"},
	{name: "OPTIONS that is no preflight is decided", method: "OPTIONS", path: "/users/", header: map[string]string{"Access-Control-Request-Method": "DELETE"},
		strict: 401, lenient: 200, upPath: "/users/", allowedNS: "0"},
}

// backofficeCases are the rows of a backoffice instance (backoffice true,
// preflight decide) on the same rules file; the rows of sharedCases hold
// there too (no backofficeAuthorization block of the rules file decides
// them differently).
var backofficeCases = []requestCase{
	{name: "backofficeAuthorization decides", method: "GET", path: "/users/", header: map[string]string{"Authorization": "Bearer admin"},
		strict: 200, upPath: "/users/", upHeader: map[string]string{"Isbackoffice": "true", "Miauserid": "u-admin"}},
	{name: "backofficeAuthorization denies", method: "GET", path: "/users/", header: map[string]string{"Authorization": "Bearer reader"}, strict: 403},
	{name: "backoffice route, public there", method: "GET", path: "/cms/page", strict: 200, upPath: "/cms/page", upHeader: map[string]string{"Isbackoffice": "true"}},
	{name: "client's isbackoffice: 0 ignored", method: "GET", path: "/cms/page", header: map[string]string{"Isbackoffice": "0"},
		strict: 200, upPath: "/cms/page", upHeader: map[string]string{"Isbackoffice": "true"}},
	{name: "authorization block when no backoffice one", method: "GET", path: "/users/7", header: map[string]string{"Authorization": "Bearer reader"},
		strict: 200, upPath: "/users/7", upHeader: map[string]string{"Isbackoffice": "true"}},
	{name: "api key given as its SHA-256", method: "GET", path: "/client", header: map[string]string{"Client-Key": "mobile-key"},
		strict: 200, upPath: "/client", upHeader: map[string]string{"Client-Type": "mobile", "Isbackoffice": "true"}, upAbsent: []string{"Client-Key"}},
	{name: "preflight decided (preflight decide)", method: "OPTIONS", path: "/users/", header: map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "DELETE"},
		strict: 401},
}

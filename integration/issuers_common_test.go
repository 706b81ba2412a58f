package integration

// Shared fixtures of the identity tests (several issuers, discovery, token
// sources, identity chain, key rotation, brute force) that the Caddy and
// the Traefik tests both run against a real gateway.

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The staff issuer signs with HS256 (its block: hmac_secret, audience
// staff-api, id in preferred_username, groups in roles); the machine
// issuer is found through discovery (an OpenID configuration served by
// idOIDC; audience machine-api, id in client_id, permissions in scope).
const (
	idStaffIssuer = "https://staff.test"
	idStaffSecret = "staff-secret-staff-secret-staff-s"
	idStaffAud    = "staff-api"
	idMachineAud  = "machine-api"
	idSession     = "browser-session-1"
	idRules       = `{"/": {"ALL": {"authorization": {"expression": "groups.admin || permissions[\"admin:write\"]", "public": false}}}}`
)

// idOIDC is an OpenID provider: its configuration at
// /.well-known/openid-configuration names its own URL as issuer and
// /keys (an Ed25519 JWKS) as jwks_uri.
type idOIDC struct {
	*httptest.Server
	key  ed25519.PrivateKey
	docs atomic.Int64
}

func newIDOIDC(t *testing.T) *idOIDC {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := &idOIDC{key: key}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			o.docs.Add(1)
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q,"token_endpoint":%q}`, o.URL, o.URL+"/keys", o.URL+"/token")
		case "/keys":
			fmt.Fprintf(w, `{"keys":[{"kty":"OKP","crv":"Ed25519","x":%q,"kid":"m1","use":"sig","alg":"EdDSA"}]}`,
				base64.RawURLEncoding.EncodeToString(pub))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(o.Close)
	return o
}

// sign makes an EdDSA token of this provider.
func (o *idOIDC) sign(t *testing.T, claims map[string]any) string {
	t.Helper()
	in := idSegment(t, map[string]any{"alg": "EdDSA", "kid": "m1", "typ": "JWT"}) + "." + idSegment(t, claims)
	return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(o.key, []byte(in)))
}

func idSegment(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// idHS256 makes an HS256 token of the staff issuer's secret.
func idHS256(t *testing.T, claims map[string]any) string {
	in := idSegment(t, map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + idSegment(t, claims)
	m := hmac.New(sha256.New, []byte(idStaffSecret))
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newSessionService is an identity service for browsers: the cookie
// sid=idSession is the user browser-user (group admin); anything else 401.
func newSessionService(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err == nil && c.Value == idSession {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"sub":"browser-user","groups":["admin"]}`)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(s.Close)
	return s
}

// idCase is one request of the identity table.
type idCase struct {
	name   string
	target string
	header map[string]string
	status int
	// upstream: the user and the request URI it must see
	user, uri string
}

// idCases is the table both gateways run on the route that has the two
// issuers, token_from header:Authorization cookie:at query:access_token,
// and identity_order jwt userinfo.
func idCases(t *testing.T, o *idOIDC) []idCase {
	exp := time.Now().Add(time.Hour).Unix()
	staff := func(aud string) string {
		return idHS256(t, map[string]any{"iss": idStaffIssuer, "aud": aud, "preferred_username": "ann", "sub": "uuid-ann", "roles": []string{"admin"}, "exp": exp})
	}
	machine := func(aud string) string {
		return o.sign(t, map[string]any{"iss": o.URL, "aud": aud, "client_id": "billing", "sub": "svc-uuid", "scope": "admin:write orders:read", "exp": exp})
	}
	unknownIss := o.sign(t, map[string]any{"iss": "https://elsewhere.test", "aud": idMachineAud, "client_id": "billing", "scope": "admin:write", "exp": exp})
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	return []idCase{
		{"staff token, staff audience, staff claim mapping", "/r", bearer(staff(idStaffAud)), 200, "ann", "/r"},
		{"machine token (discovery), machine audience and mapping", "/r", bearer(machine(idMachineAud)), 200, "billing", "/r"},
		{"staff token under the machine audience", "/r", bearer(staff(idMachineAud)), 401, "", ""},
		{"machine token under the staff audience", "/r", bearer(machine(idStaffAud)), 401, "", ""},
		{"unknown issuer", "/r", bearer(unknownIss), 401, "", ""},
		{"cookie token", "/r", map[string]string{"Cookie": "theme=dark; at=" + staff(idStaffAud)}, 200, "ann", "/r"},
		{"query token, removed before the upstream", "/r?x=1&access_token=" + machine(idMachineAud) + "&y=2", nil, 200, "billing", "/r?x=1&y=2"},
		{"invalid query token", "/r?access_token=junk", nil, 401, "", ""},
		{"browser session through userinfo", "/r", map[string]string{"Cookie": "sid=" + idSession}, 200, "browser-user", "/r"},
		{"a JWT decides before the session", "/r", map[string]string{"Cookie": "sid=" + idSession, "Authorization": "Bearer " + staff(idMachineAud)}, 401, "", ""},
		{"wrong session", "/r", map[string]string{"Cookie": "sid=stale"}, 401, "", ""},
		{"nobody", "/r", nil, 401, "", ""},
	}
}

// idRun runs the identity table against addr, whose upstream echoes.
func idRun(t *testing.T, addr string, cases []idCase) {
	t.Helper()
	for _, c := range cases {
		req, err := http.NewRequest("GET", "http://"+addr+c.target, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, resp.StatusCode, c.status, body)
			continue
		}
		if c.status == 401 && !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") && c.name != "nobody" && c.name != "wrong session" {
			t.Errorf("%s: WWW-Authenticate %q", c.name, resp.Header.Get("WWW-Authenticate"))
		}
		if c.status != 200 {
			continue
		}
		var e echo
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("%s: upstream answer %q: %v", c.name, body, err)
		}
		if got := first(e.Header, "Miauserid"); got != c.user {
			t.Errorf("%s: upstream miauserid %q, want %q", c.name, got, c.user)
		}
		if e.RawURI != c.uri {
			t.Errorf("%s: upstream request URI %q, want %q", c.name, e.RawURI, c.uri)
		}
		if strings.Contains(e.RawURI, "access_token") {
			t.Errorf("%s: the upstream saw the query token: %q", c.name, e.RawURI)
		}
	}
}

func first(h map[string][]string, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// idWriteKey writes a fresh Ed25519 PKCS #8 key to dir/name.
func idWriteKey(t *testing.T, dir, name string) string {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// idClient is a client without keep-alive: every request is a new
// connection, accepted by whichever configuration is live.
var idClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// idDialRetries counts the requests idDo sent again because the
// connection broke before any answer: refused or reset while dialing, or
// closed (EOF, reset) before a status line. A gateway swapping its
// listener during a reload does that to a few connections (Caddy closes
// the ones its old server accepted after the switch), whatever the
// handler; a client retries them. No HTTP answer is ever retried: every
// status other than 200 is a failure.
var idDialRetries atomic.Int64

// idDo sends the request that mk builds, again (up to 5 times) when the
// connection broke before an answer.
func idDo(mk func() *http.Request) (*http.Response, error) {
	for i := 0; ; i++ {
		resp, err := idClient.Do(mk())
		var op *net.OpError
		broken := err != nil && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || (errors.As(err, &op) && op.Op == "dial"))
		if !broken || i == 5 {
			return resp, err
		}
		idDialRetries.Add(1)
		time.Sleep(10 * time.Millisecond)
	}
}

// idIssue asks addr's token endpoint for a token of client rot.
func idIssue(addr string) (string, int, error) {
	resp, err := idDo(func() *http.Request {
		req, _ := http.NewRequest("POST", "http://"+addr+"/oauth/token", strings.NewReader("grant_type=client_credentials&client_id=rot&client_secret=rot-secret-rot-secret"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	})
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	return body.AccessToken, resp.StatusCode, nil
}

// idKids returns the kids of addr's JWKS.
func idKids(t *testing.T, addr string) string {
	t.Helper()
	resp, err := idClient.Get("http://" + addr + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range doc.Keys {
		kids = append(kids, k.Kid)
	}
	return strings.Join(kids, ",")
}

// idRotation runs a load of token requests and authorized calls against
// addr (a token endpoint whose JWKS the authz of the same route reads),
// calls reload in the middle, and requires every request to succeed:
// tokens signed before the reload keep verifying, tokens after it are
// signed with the new key. wantBefore and wantAfter are the kids of the
// JWKS; newKid is the kid that signs after the reload.
// idWaitKids waits (20 s at most) until the JWKS at addr lists want.
func idWaitKids(t *testing.T, addr, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for idKids(t, addr) != want {
		if time.Now().After(deadline) {
			t.Fatalf("the JWKS never listed %s (now %s)", want, idKids(t, addr))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func idRotation(t *testing.T, addr string, reload func(), wantBefore, wantAfter, newKid string) {
	t.Helper()
	if got := idKids(t, addr); got != wantBefore {
		t.Fatalf("JWKS before the reload: %s, want %s", got, wantBefore)
	}
	old, status, err := idIssue(addr)
	if err != nil || status != 200 {
		t.Fatalf("token before the reload: %d %v", status, err)
	}
	var (
		stop     atomic.Bool
		requests atomic.Int64
		mu       sync.Mutex
		failures []string
		wg       sync.WaitGroup
	)
	fail := func(s string) {
		mu.Lock()
		if len(failures) < 20 {
			failures = append(failures, s)
		}
		mu.Unlock()
	}
	call := func(tok string) {
		resp, err := idDo(func() *http.Request {
			req, _ := http.NewRequest("GET", "http://"+addr+"/orders/1", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			return req
		})
		requests.Add(1)
		if err != nil {
			fail("GET: " + err.Error())
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			fail(fmt.Sprintf("GET with a token: %d", resp.StatusCode))
		}
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for !stop.Load() {
				if w%2 == 0 {
					call(old) // a token signed before the rotation
					continue
				}
				tok, status, err := idIssue(addr)
				requests.Add(1)
				if err != nil || status != 200 {
					fail(fmt.Sprintf("token request: %d %v", status, err))
					continue
				}
				call(tok)
			}
		}(w)
	}
	time.Sleep(700 * time.Millisecond)
	reload()
	deadline := time.Now().Add(20 * time.Second)
	for idKids(t, addr) != wantAfter && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if got := idKids(t, addr); got != wantAfter {
		t.Errorf("JWKS after the reload: %s, want %s", got, wantAfter)
	}
	newTok, status, err := idIssue(addr)
	if err != nil || status != 200 || !strings.Contains(newTok, ".") {
		t.Fatalf("token after the reload: %d %v", status, err)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(newTok, ".")[0])
	if !strings.Contains(string(hdr), `"kid":"`+newKid+`"`) {
		t.Errorf("a token after the reload has header %s, want kid %s", hdr, newKid)
	}
	call(old)
	call(newTok)
	t.Logf("%d requests across the reload (%d broken before an answer, sent again)", requests.Load(), idDialRetries.Load())
	if len(failures) > 0 {
		t.Errorf("%d failed requests across the reload, e.g. %v", len(failures), failures)
	}
}

// idBruteForce: with the default limit (10 failures), the 11th wrong
// secret within the window is 429 with Retry-After, a correct secret is
// refused too, and after the window (window, short in the tests) it is
// accepted again.
func idBruteForce(t *testing.T, addr, path string, limit int, window time.Duration) {
	t.Helper()
	post := func(secret string) *http.Response {
		resp, err := idClient.PostForm("http://"+addr+path, url.Values{
			"grant_type": {"client_credentials"}, "client_id": {"rot"}, "client_secret": {secret}})
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	start := time.Now()
	for i := 1; i <= limit; i++ {
		if r := post("wrong"); r.StatusCode != 401 {
			t.Fatalf("wrong secret %d: %d, want 401", i, r.StatusCode)
		}
	}
	r := post("wrong")
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("wrong secret %d: %d Retry-After %q, want 429", limit+1, r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := post("rot-secret-rot-secret"); r.StatusCode != 429 {
		t.Fatalf("correct secret within the window: %d, want 429", r.StatusCode)
	}
	time.Sleep(time.Until(start.Add(window + 300*time.Millisecond)))
	if r := post("rot-secret-rot-secret"); r.StatusCode != 200 {
		t.Fatalf("correct secret after the window: %d, want 200", r.StatusCode)
	}
}

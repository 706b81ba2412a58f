package integration

// Helpers of the real-Caddy tests (caddy_test.go): start the Caddy binary
// built by `make caddy` (CADDY_BIN) with a generated Caddyfile, talk to it
// with raw HTTP/1.1 request lines, and record what the upstream received.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type caddyLogs = logBuffer

// caddyProc is one running Caddy.
type caddyProc struct {
	bin       string
	file      string // the Caddyfile
	adminPort int
	env       []string
	cmd       *exec.Cmd
	logs      *caddyLogs
	done      chan struct{}
}

// caddyEnv returns the environment of a Caddy child: XDG directories in a
// temporary directory so that nothing is written to $HOME.
func caddyEnv(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	return append(os.Environ(),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
	)
}

// caddyGlobals is the global options block: an admin endpoint of our own,
// nothing persisted, no HTTPS, no trust store, plus extra options.
func caddyGlobals(adminPort int, extra string) string {
	return fmt.Sprintf(`{
	admin localhost:%d
	persist_config off
	auto_https off
	skip_install_trust
	grace_period 1ns
%s}
`, adminPort, extra)
}

// caddySite is a plain-HTTP site on a loopback port.
func caddySite(port int, body string) string {
	return fmt.Sprintf("http://:%d {\n\tbind 127.0.0.1\n%s\n}\n", port, body)
}

// caddyWrite writes a Caddyfile (the global block then sites) and returns
// its path.
func caddyWrite(t *testing.T, dir string, adminPort int, sites ...string) string {
	t.Helper()
	return caddyWriteGlobals(t, dir, adminPort, "", sites...)
}

// caddyWriteGlobals is caddyWrite with extra global options.
func caddyWriteGlobals(t *testing.T, dir string, adminPort int, extra string, sites ...string) string {
	t.Helper()
	f := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(f, []byte(caddyGlobals(adminPort, extra)+strings.Join(sites, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// caddyStart runs `caddy run` on the Caddyfile made of sites and waits for
// its admin endpoint and every port in wait. It is stopped at cleanup.
func caddyStart(t *testing.T, sites []string, wait ...int) *caddyProc {
	t.Helper()
	return caddyStartGlobals(t, "", sites, wait...)
}

// caddyStartGlobals is caddyStart with extra global options.
func caddyStartGlobals(t *testing.T, extra string, sites []string, wait ...int) *caddyProc {
	t.Helper()
	return caddyStartWith(t, func(dir string, adminPort int) string {
		return caddyWriteGlobals(t, dir, adminPort, extra, sites...)
	}, wait...)
}

// caddyStartWith runs `caddy run` on the Caddyfile that write puts in dir
// for the admin port, and waits as caddyStart does.
func caddyStartWith(t *testing.T, write func(dir string, adminPort int) string, wait ...int) *caddyProc {
	t.Helper()
	bin := binary(t, "CADDY_BIN")
	p := &caddyProc{bin: bin, adminPort: freePort(t), env: caddyEnv(t), logs: &caddyLogs{}, done: make(chan struct{})}
	p.file = write(t.TempDir(), p.adminPort)
	p.cmd = exec.Command(bin, "run", "--config", p.file, "--adapter", "caddyfile")
	p.cmd.Dir = filepath.Dir(p.file)
	p.cmd.Env = p.env
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("caddy output:\n%s", caddyTail(p.logs.String(), 60))
		}
	})
	p.waitPort(t, p.adminPort)
	for _, port := range wait {
		p.waitPort(t, port)
	}
	return p
}

// stop asks Caddy to exit (SIGINT) and kills it after 5 s.
func (p *caddyProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// waitPort waits until a TCP port on 127.0.0.1 accepts connections.
func (p *caddyProc) waitPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("caddy exited:\n%s", caddyTail(p.logs.String(), 40))
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatalf("port %d not up within 15s:\n%s", port, caddyTail(p.logs.String(), 40))
}

// caddyCmd runs a one-shot caddy subcommand (validate, adapt, reload …).
func caddyCmd(t *testing.T, env []string, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary(t, "CADDY_BIN"), args...)
	cmd.Env = env
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func caddyTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// caddyRaw sends one HTTP/1.1 request with target written verbatim on the
// request line (no client-side path cleaning) and header names written as
// given.
func caddyRaw(addr, method, target string, header map[string]string) (*http.Response, []byte, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// caddyRecorder is an upstream like newUpstream (it answers an echo of
// the request) that also records what it received per request, keyed by
// the X-Test-Id header, so that HEAD requests (no body) and denials (no
// upstream request) can be checked too.
type caddyRecorder struct {
	*httptest.Server
	seq  atomic.Int64
	mu   sync.Mutex
	seen map[string]echo
}

func newCaddyRecorder(t *testing.T) *caddyRecorder {
	t.Helper()
	rec := &caddyRecorder{seen: map[string]echo{}}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := echo{Method: r.Method, Path: r.URL.Path, RawURI: r.RequestURI, Header: r.Header.Clone()}
		if id := r.Header.Get("X-Test-Id"); id != "" {
			rec.mu.Lock()
			rec.seen[id] = e
			rec.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(e)
	}))
	t.Cleanup(rec.Close)
	return rec
}

// hostPort is the upstream's address without the scheme.
func (rec *caddyRecorder) hostPort() string { return strings.TrimPrefix(rec.URL, "http://") }

// next returns a fresh request id.
func (rec *caddyRecorder) next() string { return strconv.FormatInt(rec.seq.Add(1), 10) }

// got returns what the upstream received for id.
func (rec *caddyRecorder) got(id string) (echo, bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	e, ok := rec.seen[id]
	return e, ok
}

// caddyDenialBody checks the JSON body of a denial (statusCode, error, message).
func caddyDenialBody(t *testing.T, what string, status int, resp *http.Response, body []byte) {
	t.Helper()
	var b struct {
		StatusCode int    `json:"statusCode"`
		Error      string `json:"error"`
		Message    string `json:"message"`
	}
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s: Content-Type %q", what, resp.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(body, &b); err != nil || b.StatusCode != status || b.Error != http.StatusText(status) || b.Message == "" {
		t.Errorf("%s: body %s (%v)", what, body, err)
	}
}

// caddyAuthJSON is the shared rules file of the integration tests.
func caddyAuthJSON(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "auth.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

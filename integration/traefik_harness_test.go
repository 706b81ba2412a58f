package integration

// Helpers of the real-Traefik tests: a Traefik v3.6 process loading the
// plugin from plugins-local/, raw HTTP requests, the shared-case checker
// (also used by the yaegi harness) and a minimal RFC 6455 websocket.

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	wsbin "encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// traefikRoot is repoRoot without a *testing.T (for the shared loader).
func traefikRoot() (string, error) {
	if r := os.Getenv("ACLGATE_ROOT"); r != "" {
		return r, nil
	}
	return filepath.Abs("..")
}

type traefikLogs = logBuffer

// traefikProc is one running Traefik.
type traefikProc struct {
	dir     string
	api     string            // host:port of the traefik entry point (api, ping)
	eps     map[string]string // entry point name → host:port
	dynamic string            // path of the dynamic configuration file
	logs    *traefikLogs
	cmd     *exec.Cmd
	exited  chan struct{}
}

// traefikEntryPoint is one entry point of the static configuration; body
// is YAML added under it next to its address (may be empty).
type traefikEntryPoint struct {
	name string
	body string
}

// traefikStart runs Traefik in a temp working directory with the plugin
// under plugins-local/ (a symlink to the repository), the given entry
// points on free loopback ports, and dynamic(eps) as the file provider's
// (watched) configuration. It returns when /ping answers. A start-up that
// fails on "address already in use" (another process took a port between
// freePort and Traefik's bind) is retried with fresh ports.
func traefikStart(t *testing.T, entryPoints []traefikEntryPoint, dynamic func(eps map[string]string) string) *traefikProc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p, err := traefikTryStart(t, entryPoints, dynamic, "", nil)
		if err == nil {
			return p
		}
		if !strings.Contains(err.Error(), "address already in use") || attempt == 5 {
			t.Fatal(err)
		}
		t.Logf("traefik start-up, attempt %d: a port was taken, retrying with fresh ports", attempt)
	}
}

// traefikStatic is the static configuration's part shared by every test
// Traefik: no update check, no usage report, the api and ping, debug logs.
const traefikStatic = `global:
  checkNewVersion: false
  sendAnonymousUsage: false
api:
  insecure: true
ping: {}
log:
  level: DEBUG
  noColor: true
providers:
  file:
    filename: dynamic.yml
    watch: true
`

// traefikTryStart is one start-up attempt; plugins is the experimental
// block of the static configuration ("" for the local plugin of this
// tree) and env, when set, Traefik's environment. The returned error holds
// the tail of Traefik's log.
func traefikTryStart(t *testing.T, entryPoints []traefikEntryPoint, dynamic func(eps map[string]string) string, plugins string, env []string) (*traefikProc, error) {
	t.Helper()
	bin := binary(t, "TRAEFIK_BIN")
	dir := t.TempDir()
	if plugins == "" {
		link := filepath.Join(dir, "plugins-local", "src", filepath.FromSlash(yaegiModuleName))
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(repoRoot(t), link); err != nil {
			t.Fatal(err)
		}
		plugins = `experimental:
  abortOnPluginFailure: true
  localPlugins:
    aclgate:
      moduleName: ` + yaegiModuleName + "\n"
	}
	p := &traefikProc{dir: dir, eps: map[string]string{}, logs: &traefikLogs{}, exited: make(chan struct{})}
	p.api = "127.0.0.1:" + strconv.Itoa(freePort(t))
	var static strings.Builder
	static.WriteString("entryPoints:\n  traefik:\n    address: \"" + p.api + "\"\n")
	for _, ep := range entryPoints {
		addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		p.eps[ep.name] = addr
		static.WriteString("  " + ep.name + ":\n    address: \"" + addr + "\"\n")
		if ep.body != "" {
			static.WriteString("    " + strings.ReplaceAll(strings.TrimSpace(ep.body), "\n", "\n    ") + "\n")
		}
	}
	static.WriteString(traefikStatic + plugins)
	if err := os.WriteFile(filepath.Join(dir, "traefik.yml"), []byte(static.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p.dynamic = filepath.Join(dir, "dynamic.yml")
	if err := os.WriteFile(p.dynamic, []byte(dynamic(p.eps)), 0o644); err != nil {
		t.Fatal(err)
	}

	p.cmd = exec.Command(bin, "--configFile="+filepath.Join(dir, "traefik.yml"))
	p.cmd.Dir = dir
	p.cmd.Env = env
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	stop := func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("traefik exited during start-up: %v\n%s", p.cmd.ProcessState, traefikTail(p.logs.String(), 60))
		default:
		}
		// Traefik may log a bind error and stay up without the entry point
		if strings.Contains(p.logs.String(), "address already in use") {
			stop()
			return nil, fmt.Errorf("traefik could not bind a port:\n%s", traefikTail(p.logs.String(), 20))
		}
		resp, err := http.Get("http://" + p.api + "/ping")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && p.entryPointsUp() {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("traefik /ping did not answer in 60s\n%s", traefikTail(p.logs.String(), 60))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("traefik logs (tail):\n%s", traefikTail(p.logs.String(), 60))
		}
	})
	return p, nil
}

// entryPointsUp reports whether every entry point accepts connections.
func (p *traefikProc) entryPointsUp() bool {
	for _, addr := range p.eps {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}

func traefikTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// traefikAPIObject is the part of a router/middleware representation of
// Traefik's API that the tests read.
type traefikAPIObject struct {
	Status string   `json:"status"`
	Error  []string `json:"error"`
	Type   string   `json:"type"`
	UsedBy []string `json:"usedBy"`
}

// api GETs /api/http/<kind>/<name> and decodes it; ok is false on 404.
func (p *traefikProc) apiGet(t *testing.T, kind, name string) (traefikAPIObject, bool) {
	t.Helper()
	var o traefikAPIObject
	resp, err := http.Get("http://" + p.api + "/api/http/" + kind + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return o, false
	}
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		t.Fatalf("api %s/%s: %v", kind, name, err)
	}
	return o, true
}

// waitEnabled waits until each middleware exists in the API; it must be
// enabled, without errors.
func (p *traefikProc) waitEnabled(t *testing.T, middlewares ...string) {
	t.Helper()
	for _, name := range middlewares {
		deadline := time.Now().Add(30 * time.Second)
		for {
			o, ok := p.apiGet(t, "middlewares", name)
			if ok {
				if o.Status != "enabled" || len(o.Error) > 0 {
					t.Fatalf("middleware %s: status %q, errors %v\n%s", name, o.Status, o.Error, traefikTail(p.logs.String(), 40))
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("middleware %s never appeared in the API\n%s", name, traefikTail(p.logs.String(), 40))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// traefikRewrite replaces the dynamic configuration atomically (the file
// provider watches the directory).
func (p *traefikProc) rewrite(t *testing.T, content string) {
	t.Helper()
	tmp := p.dynamic + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p.dynamic); err != nil {
		t.Fatal(err)
	}
}

// traefikNormHeader is the anti-spoofing normalization of header names:
// lower-case, non-alphanumerics → '-'.
func traefikNormHeader(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '-'
		}
	}
	return string(b)
}

// traefikDeviation is what a gateway is expected to do instead of a
// shared row because of something it does before the plugin runs.
type traefikDeviation struct {
	status int    // status in both modes
	upPath string // path the upstream sees
	why    string
}

// traefikCheckCase sends one shared row to addr and checks status, upstream
// path and headers. dev, when it has the row, replaces the row's status and
// upstream path (and the test logs why).
func traefikCheckCase(t *testing.T, addr string, c requestCase, strict bool, dev map[string]traefikDeviation) {
	t.Helper()
	want, upPath := c.lenient, c.upPath
	if strict {
		want = c.strict
	}
	if d, ok := dev[c.name]; ok {
		t.Logf("known deviation: %s (status %d instead of %d, upstream path %q)", d.why, d.status, want, d.upPath)
		want, upPath = d.status, d.upPath
	}
	resp, body, err := traefikRaw(addr, c.method, c.path, c.header)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", c.method, c.path, resp.StatusCode, want, body)
	}
	if want == http.StatusFound {
		if loc := resp.Header.Get("Location"); loc != c.location {
			t.Errorf("Location %q, want %q", loc, c.location)
		}
		return
	}
	if want != http.StatusOK {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("denial Content-Type %q", ct)
		}
		var e struct {
			StatusCode int    `json:"statusCode"`
			Error      string `json:"error"`
			Message    string `json:"message"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.StatusCode != want || e.Error != http.StatusText(want) || e.Message == "" {
			t.Errorf("denial body %s", body)
		}
		return
	}
	if c.method == http.MethodHead {
		return // no echo body
	}
	var got echo
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("upstream echo: %v: %s", err, body)
	}
	if upPath != "" && got.Path != upPath {
		t.Errorf("upstream path %q, want %q", got.Path, upPath)
	}
	h := http.Header(got.Header)
	for k, v := range c.upHeader {
		if vs := h.Values(k); len(vs) != 1 || vs[0] != v {
			t.Errorf("upstream %s = %q, want %q", k, vs, v)
		}
	}
	for _, k := range c.upAbsent {
		n := traefikNormHeader(k)
		for name, vs := range got.Header {
			if traefikNormHeader(name) == n {
				t.Errorf("upstream got %s: %q (spelling of %s)", name, vs, k)
			}
		}
	}
	allowed := h.Values("Mia-Allowed")
	if strict {
		if len(allowed) != 0 {
			t.Errorf("strict: upstream got Mia-Allowed %q", allowed)
		}
	} else if c.allowedNS != "" && (len(allowed) != 1 || allowed[0] != c.allowedNS) {
		t.Errorf("non-strict: upstream Mia-Allowed %q, want %q", allowed, c.allowedNS)
	}
}

// --- a minimal RFC 6455 websocket, stdlib only ---

const traefikWSGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func traefikWSAccept(key string) string {
	h := sha1.Sum([]byte(key + traefikWSGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsEchoServer answers a websocket handshake and echoes one text frame,
// prefixed with the Miauserid header the handshake carried.
func traefikWSEchoHandler(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || !strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") ||
			r.Header.Get("Sec-WebSocket-Version") != "13" || r.Header.Get("Sec-WebSocket-Key") == "" {
			http.Error(w, "not a websocket handshake", http.StatusBadRequest)
			return
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			http.Error(w, "not a hijacker", http.StatusInternalServerError)
			return
		}
		conn, rw, err := hj.Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			traefikWSAccept(r.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n")
		rw.Flush()
		op, payload, err := traefikWSReadFrame(rw.Reader)
		if err != nil || op != 1 {
			return
		}
		traefikWSWriteFrame(conn, 1, []byte(r.Header.Get("Miauserid")+":"+string(payload)), false)
		// close handshake
		traefikWSWriteFrame(conn, 8, []byte{0x03, 0xe8}, false)
	})
}

// traefikWSWriteFrame writes one final frame; clients mask (RFC 6455 §5.3).
func traefikWSWriteFrame(w io.Writer, op byte, payload []byte, mask bool) error {
	var hdr []byte
	hdr = append(hdr, 0x80|op)
	mbit := byte(0)
	if mask {
		mbit = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, mbit|byte(n))
	case n < 1<<16:
		hdr = append(hdr, mbit|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, mbit|127)
		hdr = wsbin.BigEndian.AppendUint64(hdr, uint64(n))
	}
	data := payload
	if mask {
		var key [4]byte
		rand.Read(key[:])
		hdr = append(hdr, key[:]...)
		data = make([]byte, len(payload))
		for i := range payload {
			data[i] = payload[i] ^ key[i%4]
		}
	}
	_, err := w.Write(append(hdr, data...))
	return err
}

// traefikWSReadFrame reads one unfragmented frame.
func traefikWSReadFrame(r *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	if h[0]&0x80 == 0 {
		return 0, nil, errors.New("fragmented frame")
	}
	op := h[0] & 0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(wsbin.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = wsbin.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	var key [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return 0, nil, err
		}
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	if masked {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return op, payload, nil
}

// traefikWSDial performs a client handshake on addr+path with extra headers and
// returns the connection ready for frames, or the non-101 response.
func traefikWSDial(addr, path string, header map[string]string) (net.Conn, *bufio.Reader, *http.Response, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, nil, err
	}
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	var k [16]byte
	rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	var b strings.Builder
	b.WriteString("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n")
	for n, v := range header {
		b.WriteString(n + ": " + v + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		conn.Close()
		return nil, nil, resp, nil
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != traefikWSAccept(key) {
		conn.Close()
		return nil, nil, resp, errors.New("bad Sec-WebSocket-Accept")
	}
	return conn, br, resp, nil
}

package integration

// Installing the plugin the way Traefik's catalog does (experimental.plugins):
// Traefik downloads a Go module zip of the repository from its plugin
// service (https://plugins.traefik.io/public/download/<module>/<version>),
// checks its SHA-256 (/public/validate/… with X-Plugin-Hash, or the
// descriptor's hash), unpacks it with golang.org/x/mod/zip into
// plugins-storage/sources/gop-*/src/<module>/ and interprets it from there.
//
// The test builds that zip from this tree exactly as the module proxy would
// (golang.org/x/mod/zip over the tracked files: a folder with its own
// go.mod, such as integration/, is left out; there is no vendor/), and
// serves it from a local stand-in for the plugin service. Traefik reaches
// it through HTTPS_PROXY (a CONNECT proxy on loopback that terminates TLS
// with a certificate for plugins.traefik.io from a test CA given to Traefik
// as SSL_CERT_FILE), so the real binary runs its real download, integrity
// check, unzip and yaegi load, offline and without resolving any name.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

const catalogVersion = "v0.1.0"

// catalogModuleZip builds the module zip of this tree at version: the
// files git tracks (with their working-tree content), zipped by
// golang.org/x/mod/zip as the module proxy does.
func catalogModuleZip(t *testing.T, version string) []byte {
	t.Helper()
	root := repoRoot(t)
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("git ls-files: %v (the catalog test needs the git checkout)", err)
	}
	dir := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the working tree
			}
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := modzip.CreateFromDir(&buf, module.Version{Path: yaegiModuleName, Version: version}, dir); err != nil {
		t.Fatalf("module zip: %v", err)
	}
	return buf.Bytes()
}

// TestCatalogModuleZipLayout: the module zip holds what the plugin needs
// under <module>@<version>/ — the manifest at the root, the imported
// package and core — and not integration/ (its own module).
func TestCatalogModuleZipLayout(t *testing.T) {
	data := catalogModuleZip(t, catalogVersion)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	prefix := yaegiModuleName + "@" + catalogVersion + "/"
	have := map[string]bool{}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, prefix) {
			t.Fatalf("%s is outside %s", f.Name, prefix)
		}
		have[strings.TrimPrefix(f.Name, prefix)] = true
	}
	for _, want := range []string{".traefik.yml", "go.mod", "traefikauthz/plugin.go", "core/authorizer.go", "core/expr/eval.go", "core/rules/rules.go", "core/jose/verify.go", "core/token/token.go"} {
		if !have[want] {
			t.Errorf("the module zip lacks %s", want)
		}
	}
	for name := range have {
		if strings.HasPrefix(name, "integration/") || strings.HasPrefix(name, "vendor/") || strings.HasPrefix(name, ".cache/") {
			t.Errorf("the module zip holds %s", name)
		}
	}
	// and it unpacks as Traefik unpacks it
	goPath := t.TempDir()
	dest := filepath.Join(goPath, "src", filepath.FromSlash(yaegiModuleName))
	zf := filepath.Join(t.TempDir(), catalogVersion+".zip")
	if err := os.WriteFile(zf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := modzip.Unzip(dest, module.Version{Path: yaegiModuleName, Version: catalogVersion}, zf); err != nil {
		t.Fatalf("unzip as Traefik does: %v", err)
	}
	if _, err := yaegiReadManifest(goPath); err != nil {
		t.Errorf("manifest of the unpacked module: %v", err)
	}
}

// catalogCA makes a CA and a server certificate for host signed by it.
func catalogCA(t *testing.T, host string) (caPEM []byte, cert tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "aclgate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// catalogProxy is an HTTPS_PROXY that answers every CONNECT itself: it
// terminates TLS with cert and serves handler on the tunnel. It never
// dials out.
func catalogProxy(t *testing.T, cert tls.Certificate, handler http.Handler) (*httptest.Server, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var connects []string
	conns := make(chan net.Conn)
	tlsL := &chanListener{conns: conns, done: make(chan struct{})}
	srv := &http.Server{Handler: handler, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ReadHeaderTimeout: 10 * time.Second}
	go srv.ServeTLS(tlsL, "", "")
	t.Cleanup(func() { srv.Close() })
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		mu.Lock()
		connects = append(connects, r.Host)
		mu.Unlock()
		hj, ok := w.(http.Hijacker)
		if !ok {
			http.Error(w, "no hijack", http.StatusInternalServerError)
			return
		}
		c, rw, err := hj.Hijack()
		if err != nil {
			return
		}
		rw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n")
		rw.Flush()
		conns <- &bufferedConn{Conn: c, r: rw.Reader}
	}))
	t.Cleanup(proxy.Close)
	return proxy, &connects
}

// chanListener is a net.Listener fed with the proxy's tunnels.
type chanListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}
func (l *chanListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// bufferedConn reads first what the hijacked reader already buffered.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// TestTraefikCatalogInstall: the real Traefik installs the plugin from
// experimental.plugins (download, integrity check, unzip, manifest, yaegi)
// and the middleware works.
func TestTraefikCatalogInstall(t *testing.T) {
	binary(t, "TRAEFIK_BIN")
	data := catalogModuleZip(t, catalogVersion)
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])

	var mu sync.Mutex
	var requests []string
	registry := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Method+" "+r.Host+r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/public/download/" + yaegiModuleName + "/" + catalogVersion:
			w.Header().Set("Content-Type", "application/zip")
			w.Write(data)
		case "/public/validate/" + yaegiModuleName + "/" + catalogVersion:
			if r.Header.Get("X-Plugin-Hash") != hash {
				http.Error(w, "hash mismatch", http.StatusForbidden)
				return
			}
			w.WriteHeader(http.StatusOK)
		default:
			http.NotFound(w, r)
		}
	})
	caPEM, cert := catalogCA(t, "plugins.traefik.io")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	proxy, connects := catalogProxy(t, cert, registry)
	var env []string
	for _, kv := range os.Environ() {
		k := strings.ToUpper(strings.SplitN(kv, "=", 2)[0])
		if k == "HTTP_PROXY" || k == "HTTPS_PROXY" || k == "NO_PROXY" || k == "ALL_PROXY" || k == "SSL_CERT_FILE" || k == "SSL_CERT_DIR" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HTTPS_PROXY="+proxy.URL, "SSL_CERT_FILE="+caFile)

	id := newUserinfoServer(t)
	up := newUpstream(t)
	plugins := `experimental:
  abortOnPluginFailure: true
  plugins:
    aclgate:
      moduleName: ` + yaegiModuleName + `
      version: ` + catalogVersion + "\n"
	dynamic := func(eps map[string]string) string {
		return `http:
  routers:
    app:
      entryPoints: [web]
      rule: PathPrefix("/")
      middlewares: [authz]
      service: app
  middlewares:
    authz:
      plugin:
        aclgate:
          userinfoUrl: "` + id.URL + `/userinfo"
          permissionsKey: permissions
          rules:
            - {method: GET, path: /, expression: "true", public: true}
            - {method: GET, path: "/users/:id", expression: 'permissions["users:read"]'}
  services:
    app:
      loadBalancer:
        servers:
          - url: "` + up.URL + `"
`
	}
	var p *traefikProc
	for attempt := 1; ; attempt++ {
		var err error
		p, err = traefikTryStart(t, []traefikEntryPoint{{name: "web"}}, dynamic, plugins, env)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "address already in use") || attempt == 5 {
			t.Fatal(err)
		}
	}
	p.waitEnabled(t, "authz@file")
	mu.Lock()
	got := strings.Join(requests, "\n")
	mu.Unlock()
	for _, want := range []string{
		"GET plugins.traefik.io/public/download/" + yaegiModuleName + "/" + catalogVersion,
		"GET plugins.traefik.io/public/validate/" + yaegiModuleName + "/" + catalogVersion,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the plugin service did not get %q; it got:\n%s", want, got)
		}
	}
	if len(*connects) == 0 || (*connects)[0] != "plugins.traefik.io:443" {
		t.Errorf("CONNECTs %q", *connects)
	}
	// the module is unpacked where yaegi reads it
	matches, _ := filepath.Glob(filepath.Join(p.dir, "plugins-storage", "sources", "gop-*", "src", filepath.FromSlash(yaegiModuleName), ".traefik.yml"))
	if len(matches) != 1 {
		t.Errorf("unpacked manifest: %q", matches)
	}
	for _, c := range []struct {
		path, auth string
		status     int
	}{
		{"/", "", 200},
		{"/users/7", "", 401},
		{"/users/7", "Bearer reader", 200},
		{"/users/7", "Bearer nobody", 403},
	} {
		req, _ := http.NewRequest("GET", "http://"+p.eps["web"]+c.path, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("GET %s (%q) = %d, want %d", c.path, c.auth, resp.StatusCode, c.status)
		}
	}
}

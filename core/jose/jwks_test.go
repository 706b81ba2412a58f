package jose

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestJWKSThumbprintVectors(t *testing.T) {
	// RFC 7638 §3.1.
	rsaJWK := `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	// RFC 8037 A.3.
	okpJWK := `{"kty":"OKP","crv":"Ed25519","x":"` + jtRFC8037X + `"}`
	cases := []struct{ name, jwk, want string }{
		{"RFC 7638 RSA", rsaJWK, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"},
		{"RFC 8037 Ed25519", okpJWK, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			k, err := parseJWK([]byte(tc.jwk))
			if err != nil {
				t.Fatal(err)
			}
			if got := Thumbprint(k); got != tc.want {
				t.Fatalf("thumbprint = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestJWKSParse(t *testing.T) {
	k := jtKeys()
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	rsaM := jwkMembers(&Key{kty: "RSA", rsa: &k.rsa.PublicKey})
	ecM := jwkMembers(&Key{kty: "EC", crv: "P-256", ec: &k.ec256.PublicKey})
	weakM := jwkMembers(&Key{kty: "RSA", rsa: &weak.PublicKey})
	rsaKey := `"kty":"RSA","n":"` + rsaM["n"] + `","e":"AQAB"`
	ecKey := `"kty":"EC","crv":"P-256","x":"` + ecM["x"] + `","y":"` + ecM["y"] + `"`
	p521X := make([]byte, 66)
	p521.X.FillBytes(p521X)
	p521Y := make([]byte, 66)
	p521.Y.FillBytes(p521Y)
	offCurveY := []byte(ecM["y"])
	if offCurveY[5] == 'A' {
		offCurveY[5] = 'B'
	} else {
		offCurveY[5] = 'A'
	}

	cases := []struct {
		name     string
		doc      string
		keys     int
		problems int
		err      bool
	}{
		{"RSA", `{"keys":[{` + rsaKey + `,"kid":"a","use":"sig","alg":"RS256"}]}`, 1, 0, false},
		{"EC", `{"keys":[{` + ecKey + `,"kid":"b"}]}`, 1, 0, false},
		{"OKP", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + jtRFC8037X + `"}]}`, 1, 0, false},
		{"padded members", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + jtRFC8037X + `="}]}`, 1, 0, false},
		{"encryption key skipped", `{"keys":[{` + rsaKey + `,"use":"enc"}]}`, 0, 0, false},
		{"key_ops without verify skipped", `{"keys":[{` + rsaKey + `,"key_ops":["encrypt"]}]}`, 0, 0, false},
		{"encryption alg skipped", `{"keys":[{` + rsaKey + `,"alg":"RSA-OAEP"}]}`, 0, 0, false},
		{"oct skipped", `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, 0, 0, false},
		{"unknown kty skipped", `{"keys":[{"kty":"XYZ"}]}`, 0, 0, false},
		{"P-521 skipped", `{"keys":[{"kty":"EC","crv":"P-521","x":"` + jtB64(p521X) + `","y":"` + jtB64(p521Y) + `"}]}`, 0, 0, false},
		{"X25519 skipped", `{"keys":[{"kty":"OKP","crv":"X25519","x":"` + jtRFC8037X + `"}]}`, 0, 0, false},
		{"weak RSA", `{"keys":[{"kty":"RSA","n":"` + weakM["n"] + `","e":"AQAB"},{` + ecKey + `}]}`, 1, 1, false},
		{"even e", `{"keys":[{"kty":"RSA","n":"` + rsaM["n"] + `","e":"AQAA"}]}`, 0, 1, false},
		{"alg not fitting the key", `{"keys":[{` + ecKey + `,"alg":"ES384"}]}`, 0, 1, false},
		{"EC point off the curve", `{"keys":[{"kty":"EC","crv":"P-256","x":"` + ecM["x"] + `","y":"` + string(offCurveY) + `"}]}`, 0, 1, false},
		{"EC short coordinate", `{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"` + ecM["y"] + `"}]}`, 0, 1, false},
		{"OKP short x", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}`, 0, 1, false},
		{"member of the wrong type", `{"keys":[{"kty":"RSA","n":5}]}`, 0, 1, false},
		{"no keys member", `{"other":[]}`, 0, 0, true},
		{"not JSON", `<html>`, 0, 0, true},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			keys, problems, err := parseJWKSet([]byte(tc.doc))
			if (err != nil) != tc.err || len(keys) != tc.keys || len(problems) != tc.problems {
				t.Fatalf("keys %d problems %q err %v", len(keys), problems, err)
			}
		})
	}
}

func TestJWKSRoundTrip(t *testing.T) {
	doc := jtPublicJWKS(t)
	keys, problems, err := parseJWKSet(doc)
	if err != nil || len(problems) != 0 || len(keys) != 5 {
		t.Fatalf("keys %d problems %q err %v", len(keys), problems, err)
	}
	again := JWKSDocument(keys)
	if string(again) != string(doc) {
		t.Fatalf("round trip differs:\n%s\n%s", doc, again)
	}
	if !strings.Contains(string(doc), `"use":"sig"`) || strings.Contains(string(doc), `"d":`) {
		t.Fatalf("JWKS = %s", doc)
	}
}

func TestJWKSPEMPublicKeys(t *testing.T) {
	k := jtKeys()
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "issuer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.ec256.PublicKey, k.ec256)
	if err != nil {
		t.Fatal(err)
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cases := []struct {
		name string
		data []byte
		kty  string
	}{
		{"PKIX RSA", jtPublicPEM(t, &k.rsa.PublicKey), "RSA"},
		{"PKIX EC", jtPublicPEM(t, &k.ec384.PublicKey), "EC"},
		{"PKIX Ed25519", jtPublicPEM(t, k.ed.Public()), "OKP"},
		{"PKCS1 RSA", pkcs1, "RSA"},
		{"certificate", cert, "EC"},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			keys, err := parsePEMPublicKeys(tc.data)
			if err != nil || len(keys) != 1 || keys[0].kty != tc.kty {
				t.Fatalf("keys %v err %v", keys, err)
			}
		})
	}
	both := append(jtPublicPEM(t, &k.rsa.PublicKey), jtPublicPEM(t, k.ed.Public())...)
	if keys, err := parsePEMPublicKeys(both); err != nil || len(keys) != 2 {
		t.Fatalf("two blocks: %d keys, %v", len(keys), err)
	}
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if _, err := parsePEMPublicKeys(jtPublicPEM(t, &p521.PublicKey)); err == nil || !strings.Contains(err.Error(), "P-521") {
		t.Fatalf("P-521: %v", err)
	}
	if _, err := parsePEMPublicKeys(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("junk")})); err == nil {
		t.Fatal("junk accepted")
	}
	if _, err := parsePEMPublicKeys(pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PUBLIC KEY", Bytes: []byte("x")})); err == nil {
		t.Fatal("unknown block accepted")
	}
}

func TestJWKSTTL(t *testing.T) {
	tune := defaultJWKSTuning()
	cases := []struct {
		cc   string
		want time.Duration
	}{
		{"", 5 * time.Minute},
		{"public, max-age=600", 10 * time.Minute},
		{"max-age=\"120\"", 2 * time.Minute},
		{"MAX-AGE=90, must-revalidate", 90 * time.Second},
		{"max-age=0", 30 * time.Second},
		{"max-age=5", 30 * time.Second},
		{"no-store", 30 * time.Second},
		{"max-age=600, no-cache", 30 * time.Second},
		{"max-age=99999999999999999999", 24 * time.Hour},
		{"max-age=9223372036", 24 * time.Hour},
		{"max-age=-5", 5 * time.Minute},
		{"max-age=abc", 5 * time.Minute},
	}
	for _, tc := range cases {
		if got := jwksTTL(tc.cc, tune); got != tc.want {
			t.Errorf("jwksTTL(%q) = %v, want %v", tc.cc, got, tc.want)
		}
	}
}

// jtJWKSServer is a JWKS server whose answer tests can change.
type jtJWKSServer struct {
	mu     sync.Mutex
	status int
	body   []byte
	cc     string
	delay  time.Duration
	hits   int64
	srv    *httptest.Server
}

func (s *jtJWKSServer) set(status int, body []byte, cc string) {
	s.mu.Lock()
	s.status = status
	s.body = body
	s.cc = cc
	s.mu.Unlock()
}

func (s *jtJWKSServer) count() int64 { return atomic.LoadInt64(&s.hits) }

func (s *jtJWKSServer) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt64(&s.hits, 1)
		s.mu.Lock()
		status, body, cc, delay := s.status, s.body, s.cc, s.delay
		s.mu.Unlock()
		if delay > 0 {
			time.Sleep(delay)
		}
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.WriteHeader(status)
		w.Write(body)
	})
}

func jtNewJWKSServer(t *testing.T, body []byte) *jtJWKSServer {
	s := &jtJWKSServer{status: 200, body: body}
	s.srv = httptest.NewServer(s.handler())
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// jtSingleJWKS is a JWKS with the RSA test key under kid.
func jtSingleJWKS(t testing.TB, kid string, pub *rsa.PublicKey) []byte {
	jk, err := jwsKeyFromPublic(pub)
	if err != nil {
		t.Fatal(err)
	}
	jk.kid = kid
	return JWKSDocument([]*Key{jk})
}

// jtFastTuning shrinks the fetcher timings for tests.
func jtFastTuning() jwksTuning {
	tune := defaultJWKSTuning()
	tune.kidInterval = 300 * time.Millisecond
	tune.emptyInterval = 0
	tune.startBackoff = 20 * time.Millisecond
	tune.maxBackoff = 100 * time.Millisecond
	tune.fetchTimeout = 5 * time.Second
	return tune
}

func jtURLVerifier(t *testing.T, url string, tune jwksTuning, warn func(string)) *Verifier {
	cfg := jtDefault()
	cfg.JWKSURL = url
	v, err := newVerifierTuned(context.Background(), cfg, nil, warn, tune)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func jtToken(t testing.TB, kid string, key *rsa.PrivateKey) string {
	return jtSign(t, "RS256", kid, key, map[string]any{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()}, nil)
}

// jtEventually polls cond for up to 5 s.
func jtEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestJWKSFetchAndCache(t *testing.T) {
	k := jtKeys()
	s := jtNewJWKSServer(t, jtSingleJWKS(t, "k1", &k.rsa.PublicKey))
	v := jtURLVerifier(t, s.srv.URL, defaultJWKSTuning(), nil)
	for i := 0; i < 20; i++ {
		if _, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa)); err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
	}
	if _, err := Verify(v, context.Background(), jtToken(t, "", k.rsa)); err != nil {
		t.Fatalf("verify without kid: %v", err)
	}
	if n := s.count(); n != 1 {
		t.Fatalf("%d fetches, want 1 (cached)", n)
	}
}

func TestJWKSRefreshAfterMaxAge(t *testing.T) {
	k := jtKeys()
	s := jtNewJWKSServer(t, jtSingleJWKS(t, "k1", &k.rsa.PublicKey))
	s.cc = "max-age=0"
	tune := jtFastTuning()
	tune.minTTL = 200 * time.Millisecond
	tune.kidInterval = 0
	v := jtURLVerifier(t, s.srv.URL, tune, nil)
	if _, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa)); err != nil {
		t.Fatal(err)
	}
	if n := s.count(); n != 1 {
		t.Fatalf("%d fetches before expiry", n)
	}
	// Rotation without a kid change: after max-age a request refreshes in
	// the background and keeps being served by the old set meanwhile.
	s.set(200, jtSingleJWKS(t, "k1", &k.rsa2.PublicKey), "max-age=0")
	time.Sleep(250 * time.Millisecond)
	if _, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa)); err != nil {
		t.Fatalf("stale set still serves: %v", err)
	}
	jtEventually(t, "the background refresh", func() bool {
		_, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa2))
		return err == nil
	})
}

func TestJWKSUnknownKidRateLimit(t *testing.T) {
	k := jtKeys()
	s := jtNewJWKSServer(t, jtSingleJWKS(t, "k1", &k.rsa.PublicKey))
	tune := jtFastTuning()
	tune.kidInterval = 500 * time.Millisecond
	v := jtURLVerifier(t, s.srv.URL, tune, nil)
	jtEventually(t, "the start-up fetch", func() bool { return v.remote.load() != nil })
	if _, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa)); err != nil {
		t.Fatal(err)
	}
	// The start-up fetch does not count against the unknown-kid limit: the
	// first unknown kid refetches at once (and finds nothing here).
	before := s.count()
	if _, err := Verify(v, context.Background(), jtToken(t, "k0", k.rsa)); err != errJWTNoKey {
		t.Fatalf("k0: %v", err)
	}
	if s.count() != before+1 {
		t.Fatalf("first unknown kid: %d fetches, want 1", s.count()-before)
	}
	base := s.count()
	s.set(200, jtSingleJWKS(t, "k2", &k.rsa2.PublicKey), "")

	// Within kidInterval of the last refetch an unknown kid fetches nothing.
	if _, err := Verify(v, context.Background(), jtToken(t, "k2", k.rsa2)); err != errJWTNoKey {
		t.Fatalf("k2 inside the interval: %v", err)
	}
	if s.count() != base {
		t.Fatalf("refetched inside the interval")
	}
	time.Sleep(600 * time.Millisecond)
	// Then one fetch, shared by concurrent callers.
	s.mu.Lock()
	s.delay = 100 * time.Millisecond
	s.mu.Unlock()
	var wg sync.WaitGroup
	var ok int64
	tok := jtToken(t, "k2", k.rsa2)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Verify(v, context.Background(), tok); err == nil {
				atomic.AddInt64(&ok, 1)
			}
		}()
	}
	wg.Wait()
	if got := s.count() - base; got != 1 {
		t.Fatalf("%d fetches for 20 concurrent unknown kids, want 1", got)
	}
	if ok == 0 {
		t.Fatal("no caller verified after the refetch")
	}
	if _, err := Verify(v, context.Background(), tok); err != nil {
		t.Fatalf("k2 after the refetch: %v", err)
	}
	// A kid nobody has: one more fetch at most per interval.
	base = s.count()
	for i := 0; i < 10; i++ {
		if _, err := Verify(v, context.Background(), jtToken(t, "ghost", k.rsa)); err != errJWTNoKey {
			t.Fatalf("ghost: %v", err)
		}
	}
	if got := s.count() - base; got != 0 {
		t.Fatalf("%d fetches for an unknown kid inside the interval", got)
	}
}

func TestJWKSBadAnswersKeepOldKeys(t *testing.T) {
	k := jtKeys()
	good := jtSingleJWKS(t, "k1", &k.rsa.PublicKey)
	huge := append([]byte(`{"keys":[],"pad":"`), []byte(strings.Repeat("x", MaxJWKSSize))...)
	huge = append(huge, []byte(`"}`)...)
	cases := []struct {
		name   string
		status int
		body   []byte
	}{
		{"500", 500, []byte("oops")},
		{"404", 404, good},
		{"invalid JSON", 200, []byte("{not json")},
		{"no keys", 200, []byte(`{"keys":[]}`)},
		{"only encryption keys", 200, []byte(`{"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}]}`)},
		{"over 1 MiB", 200, huge},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			s := jtNewJWKSServer(t, good)
			tune := jtFastTuning()
			tune.kidInterval = 0
			var warned int64
			v := jtURLVerifier(t, s.srv.URL, tune, func(msg string) {
				if strings.Contains(msg, "jwks_url") {
					atomic.AddInt64(&warned, 1)
				}
			})
			if _, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa)); err != nil {
				t.Fatal(err)
			}
			s.set(tc.status, tc.body, "")
			// An unknown kid forces a refetch, which fails.
			if _, err := Verify(v, context.Background(), jtToken(t, "k2", k.rsa2)); err != errJWTNoKey {
				t.Fatalf("k2: %v", err)
			}
			if s.count() < 2 {
				t.Fatalf("no refetch")
			}
			if _, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa)); err != nil {
				t.Fatalf("old keys lost: %v", err)
			}
			if atomic.LoadInt64(&warned) == 0 {
				t.Fatal("no warning")
			}
		})
	}
}

func TestJWKSOversizedFirstAnswer(t *testing.T) {
	k := jtKeys()
	huge := []byte(`{"keys":[` + strings.Repeat(" ", MaxJWKSSize) + `]}`)
	s := jtNewJWKSServer(t, huge)
	v := jtURLVerifier(t, s.srv.URL, jtFastTuning(), nil)
	if _, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa)); err != errJWTNoKey {
		t.Fatalf("verify = %v", err)
	}
	// Just under the limit is fine.
	doc := jtSingleJWKS(t, "k1", &k.rsa.PublicKey)
	padded := append(append([]byte(nil), doc[:len(doc)-1]...), []byte(`,"pad":"`+strings.Repeat("x", MaxJWKSSize-len(doc)-9)+`"}`)...)
	if len(padded) != MaxJWKSSize {
		t.Fatalf("padded is %d bytes", len(padded))
	}
	s.set(200, padded, "")
	jtEventually(t, "a fetch of exactly 1 MiB", func() bool {
		_, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa))
		return err == nil
	})
}

// The JWKS may be served by the gateway that is starting: the verifier is
// built before the server listens, and keys are fetched on first need.
func TestJWKSServerStartsLater(t *testing.T) {
	k := jtKeys()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	tune := jtFastTuning()
	tune.startBackoff = time.Hour // no background retry: only the request may fetch
	tune.maxBackoff = time.Hour
	v := jtURLVerifier(t, "http://"+addr+"/jwks", tune, nil)
	tok := jtToken(t, "k1", k.rsa)
	if _, err := Verify(v, context.Background(), tok); err != errJWTNoKey {
		t.Fatalf("before the server: %v", err)
	}

	s := &jtJWKSServer{status: 200, body: jtSingleJWKS(t, "k1", &k.rsa.PublicKey)}
	s.srv = httptest.NewUnstartedServer(s.handler())
	s.srv.Listener.Close()
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port reused meanwhile: %v", err)
	}
	s.srv.Listener = l2
	s.srv.Start()
	defer s.srv.Close()
	if _, err := Verify(v, context.Background(), tok); err != nil {
		t.Fatalf("after the server started: %v", err)
	}
}

// Without any request, the background fetch retries until it succeeds.
func TestJWKSBackgroundRetry(t *testing.T) {
	k := jtKeys()
	s := jtNewJWKSServer(t, nil)
	s.set(503, []byte("starting"), "")
	var warnings int64
	v := jtURLVerifier(t, s.srv.URL, jtFastTuning(), func(msg string) { atomic.AddInt64(&warnings, 1) })
	jtEventually(t, "two failed fetches", func() bool { return s.count() >= 2 })
	s.set(200, jtSingleJWKS(t, "k1", &k.rsa.PublicKey), "")
	jtEventually(t, "the background fetch", func() bool { return v.remote.load() != nil })
	n := s.count()
	time.Sleep(300 * time.Millisecond)
	if s.count() != n {
		t.Fatalf("kept fetching after success")
	}
	if atomic.LoadInt64(&warnings) == 0 {
		t.Fatal("failed fetches were not reported")
	}
}

func TestJWKSClose(t *testing.T) {
	k := jtKeys()
	s := jtNewJWKSServer(t, nil)
	s.set(503, nil, "")
	cfg := jtDefault()
	cfg.JWKSURL = s.srv.URL
	v, err := newVerifierTuned(context.Background(), cfg, nil, nil, jtFastTuning())
	if err != nil {
		t.Fatal(err)
	}
	jtEventually(t, "a fetch", func() bool { return s.count() >= 1 })
	v.Close()
	time.Sleep(50 * time.Millisecond)
	n := s.count()
	s.set(200, jtSingleJWKS(t, "k1", &k.rsa.PublicKey), "")
	if _, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa)); err != errJWTNoKey {
		t.Fatalf("verify after close: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	if s.count() != n {
		t.Fatalf("fetched after close")
	}
}

// A hanging JWKS server delays a request only until the request's context
// ends.
func TestJWKSRequestContext(t *testing.T) {
	k := jtKeys()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	tune := jtFastTuning()
	v := jtURLVerifier(t, srv.URL, tune, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Verify(v, ctx, jtToken(t, "k1", k.rsa)); err != errJWTNoKey {
		t.Fatalf("verify = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("waited %v", d)
	}
	v.Close()
}

func TestJWKSEd25519AndECOverURL(t *testing.T) {
	k := jtKeys()
	s := jtNewJWKSServer(t, jtPublicJWKS(t))
	v := jtURLVerifier(t, s.srv.URL, jtFastTuning(), nil)
	v.now = func() time.Time { return jtNow }
	cases := []struct {
		alg, kid string
		key      any
	}{{"EdDSA", "ed", k.ed}, {"ES256", "ec256", k.ec256}, {"ES384", "ec384", k.ec384}, {"PS512", "rsa2", k.rsa2}}
	for _, tc := range cases {
		if _, err := Verify(v, context.Background(), jtSign(t, tc.alg, tc.kid, tc.key, jtClaims(nil), nil)); err != nil {
			t.Errorf("%s: %v", tc.alg, err)
		}
	}
}

// TestJWKSWarningsRedacted: a failing jwks_url is named in warnings
// without its user info, query or fragment.
func TestJWKSWarningsRedacted(t *testing.T) {
	s := jtNewJWKSServer(t, []byte("oops"))
	s.set(500, []byte("oops"), "")
	raw := strings.Replace(s.srv.URL, "http://", "http://alice:pa55word@", 1) + "/jwks?api_key=qs-secret#frag-secret"
	var mu sync.Mutex
	var msgs []string
	tune := jtFastTuning()
	v := jtURLVerifier(t, raw, tune, func(msg string) { mu.Lock(); msgs = append(msgs, msg); mu.Unlock() })
	Verify(v, context.Background(), jtToken(t, "k1", jtKeys().rsa))
	mu.Lock()
	defer mu.Unlock()
	if len(msgs) == 0 {
		t.Fatal("no warning")
	}
	for i := 0; i < len(msgs); i++ {
		for _, secret := range []string{"alice", "pa55word", "qs-secret", "frag-secret", "api_key"} {
			if strings.Contains(msgs[i], secret) {
				t.Errorf("warning %q contains %q", msgs[i], secret)
			}
		}
	}
}

// TestJWKSFetchWarningCause: a failed fetch is logged with its cause.
// (Dropping the URL's query and user info is tested with the redaction.)
func TestJWKSFetchWarningCause(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	u := closed.URL
	closed.Close()
	got := make(chan string, 4)
	v, err := NewVerifier(context.Background(), Config{JWKSURL: u + "/jwks"}, nil, func(msg string) {
		select {
		case got <- msg:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	select {
	case msg := <-got:
		if !strings.Contains(msg, "fetch failed: ") || !strings.Contains(msg, "connection refused") {
			t.Errorf("warning without its cause: %q", msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no warning")
	}
}

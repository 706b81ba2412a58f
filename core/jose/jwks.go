package jose

// Verification keys: JWK / JWKS (RFC 7517, RFC 7518 §6, RFC 8037), PEM
// public keys, RFC 7638 thumbprints, and the jwks_url fetcher.

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Key size bounds for RSA keys, in bits.
const (
	jwkMinRSABits = 2048
	jwkMaxRSABits = 8192
)

// MaxJWKSSize is the largest JWKS answer read from jwks_url.
const MaxJWKSSize = 1 << 20

// jwkJSON is one JWK as found in a JWKS. Private members are ignored.
type jwkJSON struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	Kid    string   `json:"kid"`
	KeyOps []string `json:"key_ops"`
	Crv    string   `json:"crv"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
	N      string   `json:"n"`
	E      string   `json:"e"`
}

// jwkB64 decodes a JWK member: base64url; trailing padding is tolerated.
func jwkB64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// errJWKSkip marks a key that is not for us (encryption key, unknown kty or
// curve): skipped without a warning.
var errJWKSkip = errors.New("not a signature key")

// parseJWKSet decodes a JWKS document. Keys for encryption ("use" other
// than "sig", "key_ops" without "verify"), of an unknown kty or curve, or
// with an "alg" we don't verify are skipped silently; malformed or weak
// keys are skipped and reported in problems. err is set only when the
// document itself is not a JWKS.
func parseJWKSet(data []byte) (keys []*Key, problems []string, err error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, errors.New("not a JSON JWKS document")
	}
	if doc.Keys == nil {
		return nil, nil, errors.New(`no "keys" array`)
	}
	for i := 0; i < len(doc.Keys); i++ {
		k, err := parseJWK(doc.Keys[i])
		if err == errJWKSkip {
			continue
		}
		if err != nil {
			problems = append(problems, "key #"+strconv.Itoa(i)+": "+err.Error())
			continue
		}
		keys = append(keys, k)
	}
	return keys, problems, nil
}

// parseJWK decodes one public JWK (RSA n/e, EC crv/x/y, OKP Ed25519 x).
func parseJWK(raw []byte) (*Key, error) {
	var j jwkJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, errors.New("invalid JWK")
	}
	if j.Use != "" && j.Use != "sig" {
		return nil, errJWKSkip
	}
	if j.KeyOps != nil && !jwtHas(j.KeyOps, "verify") {
		return nil, errJWKSkip
	}
	if j.Alg != "" {
		a := jwsAlgs[j.Alg]
		if a == nil || !a.asymmetric() {
			return nil, errJWKSkip
		}
	}
	k := &Key{kid: j.Kid, alg: j.Alg, kty: j.Kty}
	switch j.Kty {
	case "RSA":
		n, err := jwkB64(j.N)
		if err != nil || len(n) == 0 {
			return nil, errors.New("RSA key: invalid n")
		}
		e, err := jwkB64(j.E)
		if err != nil {
			return nil, errors.New("RSA key: invalid e")
		}
		pub, err := jwkRSA(new(big.Int).SetBytes(n), e)
		if err != nil {
			return nil, err
		}
		k.rsa = pub
	case "EC":
		k.crv = j.Crv
		curve, size := jwkCurve(j.Crv)
		if curve == nil {
			return nil, errJWKSkip
		}
		x, err := jwkB64(j.X)
		if err != nil || len(x) != size {
			return nil, errors.New("EC key: invalid x")
		}
		y, err := jwkB64(j.Y)
		if err != nil || len(y) != size {
			return nil, errors.New("EC key: invalid y")
		}
		pub, err := jwkECPoint(j.Crv, x, y)
		if err != nil {
			return nil, err
		}
		k.ec = pub
	case "OKP":
		if j.Crv != "Ed25519" {
			return nil, errJWKSkip
		}
		k.crv = j.Crv
		x, err := jwkB64(j.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("OKP key: invalid x")
		}
		k.ed = ed25519.PublicKey(x)
	default:
		// "oct" keys never come from a JWKS: symmetric secrets are not
		// published. Unknown types are ignored.
		return nil, errJWKSkip
	}
	if k.alg != "" && !k.accepts(jwsAlgs[k.alg]) {
		return nil, errors.New("alg " + k.alg + " does not fit a " + k.kty + " key")
	}
	return k, nil
}

// jwkCurve maps a JWK crv to its curve and coordinate size.
func jwkCurve(crv string) (elliptic.Curve, int) {
	if crv == "P-256" {
		return elliptic.P256(), 32
	}
	if crv == "P-384" {
		return elliptic.P384(), 48
	}
	return nil, 0
}

// jwkECPoint builds an ECDSA public key and checks the point is on the
// curve and not the identity (crypto/ecdh does the validation).
func jwkECPoint(crv string, x, y []byte) (*ecdsa.PublicKey, error) {
	curve, _ := jwkCurve(crv)
	pt := make([]byte, 0, 1+len(x)+len(y))
	pt = append(pt, 4)
	pt = append(pt, x...)
	pt = append(pt, y...)
	var err error
	if crv == "P-256" {
		_, err = ecdh.P256().NewPublicKey(pt)
	} else {
		_, err = ecdh.P384().NewPublicKey(pt)
	}
	if err != nil {
		return nil, errors.New("EC key: point not on the curve")
	}
	// The coordinates, not ecdsa.ParseUncompressedPublicKey (Go 1.25):
	// Traefik's yaegi offers the standard library of Go 1.22.
	//lint:ignore SA1019 the point was checked on the curve just above
	return &ecdsa.PublicKey{Curve: curve, X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}, nil
}

// jwkRSA builds and checks an RSA public key: 2048 to 8192 bits, odd
// exponent between 3 and 2^31-1.
func jwkRSA(n *big.Int, e []byte) (*rsa.PublicKey, error) {
	bits := n.BitLen()
	if bits < jwkMinRSABits {
		return nil, errors.New("RSA key of " + strconv.Itoa(bits) + " bits; at least 2048 are required")
	}
	if bits > jwkMaxRSABits {
		return nil, errors.New("RSA key of " + strconv.Itoa(bits) + " bits; at most 8192 are supported")
	}
	for len(e) > 0 && e[0] == 0 {
		e = e[1:]
	}
	if len(e) == 0 || len(e) > 4 {
		return nil, errors.New("RSA key: invalid e")
	}
	ev := 0
	for i := 0; i < len(e); i++ {
		ev = ev<<8 | int(e[i])
	}
	if ev < 3 || ev > 1<<31-1 || ev%2 == 0 {
		return nil, errors.New("RSA key: invalid e")
	}
	return &rsa.PublicKey{N: n, E: ev}, nil
}

// jwsKeyFromPublic wraps a crypto public key (from x509) as a Key.
func jwsKeyFromPublic(pub any) (*Key, error) {
	if k, ok := pub.(*rsa.PublicKey); ok {
		checked, err := jwkRSA(k.N, big.NewInt(int64(k.E)).Bytes())
		if err != nil {
			return nil, err
		}
		return &Key{kty: "RSA", rsa: checked}, nil
	}
	if k, ok := pub.(*ecdsa.PublicKey); ok {
		name := ""
		if k.Curve != nil && k.Curve.Params() != nil {
			name = k.Curve.Params().Name
		}
		if name != "P-256" && name != "P-384" {
			return nil, errors.New("unsupported EC curve " + strconv.Quote(name) + "; P-256 or P-384 are supported")
		}
		return &Key{kty: "EC", crv: name, ec: k}, nil
	}
	if k, ok := pub.(ed25519.PublicKey); ok {
		return &Key{kty: "OKP", crv: "Ed25519", ed: k}, nil
	}
	return nil, errors.New("unsupported public key type " + keyTypeName(pub) + "; RSA, ECDSA P-256/P-384 or Ed25519 are supported")
}

// keyTypeName names the Go type of a parsed key, such as "*dsa.PublicKey"
// or "*ecdh.PublicKey", for errors about unsupported keys.
func keyTypeName(k any) string {
	return fmt.Sprintf("%T", k)
}

// parsePEMPublicKeys reads every public key of a PEM file: "PUBLIC KEY"
// (PKIX), "RSA PUBLIC KEY" (PKCS #1) and "CERTIFICATE" blocks.
func parsePEMPublicKeys(data []byte) ([]*Key, error) {
	var keys []*Key
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var pub any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			cert, err = x509.ParseCertificate(block.Bytes)
			if err == nil {
				pub = cert.PublicKey
			}
		default:
			if strings.Contains(block.Type, "PRIVATE KEY") {
				return nil, errors.New("holds a private key; give the public key")
			}
			return nil, errors.New("unsupported PEM block " + strconv.Quote(block.Type))
		}
		if err != nil {
			return nil, errors.New("invalid " + block.Type + " block")
		}
		k, err := jwsKeyFromPublic(pub)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM public key found: the file " + describeKeyFile(data))
	}
	return keys, nil
}

// describeKeyFile says what a key file holds, for errors about the wrong
// kind of file: its PEM block types, JSON, or nothing recognisable. It
// never quotes key material.
func describeKeyFile(data []byte) string {
	trimmed := strings.TrimSpace(string(data))
	if trimmed == "" {
		return "is empty"
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		if strings.Contains(trimmed, `"keys"`) {
			return "holds a JWKS (JSON), not PEM: use jwks_file for it"
		}
		return "holds JSON, not PEM"
	}
	var types []string
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		types = append(types, strconv.Quote(block.Type))
	}
	if len(types) == 0 {
		return "holds no PEM block (a PEM file has -----BEGIN ...----- lines)"
	}
	return "holds the PEM blocks " + strings.Join(types, ", ")
}

// jwkMembers returns the public members of a key as a JWK (no kid, use or
// alg): exactly the required members of RFC 7638 §3.2.
func jwkMembers(k *Key) map[string]string {
	m := map[string]string{"kty": k.kty}
	if k.rsa != nil {
		m["n"] = jwtB64.EncodeToString(k.rsa.N.Bytes())
		m["e"] = jwtB64.EncodeToString(big.NewInt(int64(k.rsa.E)).Bytes())
	} else if k.ec != nil {
		_, size := jwkCurve(k.crv)
		x := make([]byte, size)
		y := make([]byte, size)
		// (PublicKey.Bytes is Go 1.25, newer than yaegi's standard library)
		k.ec.X.FillBytes(x) //lint:ignore SA1019 see above
		k.ec.Y.FillBytes(y) //lint:ignore SA1019 see above
		m["crv"] = k.crv
		m["x"] = jwtB64.EncodeToString(x)
		m["y"] = jwtB64.EncodeToString(y)
	} else if k.ed != nil {
		m["crv"] = k.crv
		m["x"] = jwtB64.EncodeToString(k.ed)
	} else {
		m["k"] = jwtB64.EncodeToString(k.hmac)
	}
	return m
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of a key, base64url.
// json.Marshal sorts map keys and the values need no escaping, which is
// exactly the canonical form the RFC hashes.
func Thumbprint(k *Key) string {
	b, _ := json.Marshal(jwkMembers(k))
	h := sha256.New()
	h.Write(b)
	return jwtB64.EncodeToString(h.Sum(nil))
}

// JWKSDocument renders keys as a JWKS with "kid", "use": "sig" and "alg".
func JWKSDocument(keys []*Key) []byte {
	list := make([]map[string]string, 0, len(keys))
	for i := 0; i < len(keys); i++ {
		m := jwkMembers(keys[i])
		if keys[i].kid != "" {
			m["kid"] = keys[i].kid
		}
		m["use"] = "sig"
		if keys[i].alg != "" {
			m["alg"] = keys[i].alg
		}
		list = append(list, m)
	}
	b, _ := json.Marshal(map[string]any{"keys": list})
	return b
}

// keySet is an immutable set of verification keys.
type keySet struct {
	keys  []*Key
	byKid map[string][]*Key
	// anon are the keys without a kid: candidates for every token.
	anon []*Key
}

func newKeySet(keys []*Key) *keySet {
	s := &keySet{keys: keys, byKid: make(map[string][]*Key)}
	for i := 0; i < len(keys); i++ {
		k := keys[i]
		if k.kid == "" {
			s.anon = append(s.anon, k)
		} else {
			s.byKid[k.kid] = append(s.byKid[k.kid], k)
		}
	}
	return s
}

// knows reports whether a key has this kid.
func (s *keySet) knows(kid string) bool {
	_, ok := s.byKid[kid]
	return ok
}

// verify checks the token's signature with the keys that may have made it:
// those with its kid plus those without a kid, or every key when the token
// names none. It returns errJWTNoKey when no candidate fits the algorithm.
func (s *keySet) verify(a *jwsAlg, j *JWT) error {
	if j.Kid == "" {
		return jwsTryKeys(s.keys, a, j, errJWTNoKey)
	}
	err := jwsTryKeys(s.byKid[j.Kid], a, j, errJWTNoKey)
	if err == nil || len(s.anon) == 0 {
		return err
	}
	return jwsTryKeys(s.anon, a, j, err)
}

func jwsTryKeys(keys []*Key, a *jwsAlg, j *JWT, none error) error {
	err := none
	for i := 0; i < len(keys); i++ {
		if !keys[i].accepts(a) {
			continue
		}
		if jwsVerify(a, keys[i], j.SigningInput, j.Signature) {
			return nil
		}
		err = errJWTSignature
	}
	return err
}

// jwksTuning are the timings of a jwksFetcher.
type jwksTuning struct {
	// defaultTTL applies when the answer has no Cache-Control max-age;
	// minTTL and maxTTL bound max-age.
	defaultTTL, minTTL, maxTTL time.Duration
	// kidInterval is the shortest time between two fetches caused by an
	// unknown kid or an expired cache (10 s by default).
	kidInterval time.Duration
	// emptyInterval is the shortest time between two fetches caused by a
	// request while no key set was ever loaded.
	emptyInterval time.Duration
	// startBackoff and maxBackoff pace the background retries until the
	// first successful fetch.
	startBackoff, maxBackoff time.Duration
	// fetchTimeout bounds one fetch.
	fetchTimeout time.Duration
}

func defaultJWKSTuning() jwksTuning {
	return jwksTuning{
		defaultTTL:    5 * time.Minute,
		minTTL:        30 * time.Second,
		maxTTL:        24 * time.Hour,
		kidInterval:   10 * time.Second,
		emptyInterval: time.Second,
		startBackoff:  500 * time.Millisecond,
		maxBackoff:    time.Minute,
		fetchTimeout:  10 * time.Second,
	}
}

// jwksState is one loaded key set and when it goes stale.
type jwksState struct {
	set     *keySet
	expires time.Time
}

// jwksFetcher keeps the key set of a jwks_url. Nothing is fetched
// synchronously at start-up: a background goroutine makes the first fetch
// (retrying with backoff until it succeeds), requests that find no keys
// fetch on demand, a stale set is refreshed in the background while it
// stays in use, and an unknown kid triggers a refetch at most once per
// kidInterval. Concurrent callers share one fetch. A failed or invalid
// answer keeps the previous set. Everything stops when ctx is cancelled.
type jwksFetcher struct {
	url      string
	redacted string
	// issuer is set when url is an OpenID configuration (discovery_url):
	// its issuer must equal this, and its jwks_uri is the JWKS.
	issuer string
	client *http.Client
	ctx    context.Context
	warn   func(string)
	tune   jwksTuning

	state atomic.Value // *jwksState

	mu       sync.Mutex
	last     time.Time     // start of the last fetch caused by a request
	inflight chan struct{} // closed when the running fetch ends
}

func newJWKSFetcher(ctx context.Context, rawURL, redacted, issuer string, client *http.Client, warn func(string), tune jwksTuning) *jwksFetcher {
	f := &jwksFetcher{url: rawURL, redacted: redacted, issuer: issuer, client: client, ctx: ctx, warn: warn, tune: tune}
	go f.initial()
	return f
}

// load returns the current state, nil before the first successful fetch.
func (f *jwksFetcher) load() *jwksState {
	st, _ := f.state.Load().(*jwksState)
	return st
}

// initial fetches until one fetch succeeds, with exponential backoff.
func (f *jwksFetcher) initial() {
	backoff := f.tune.startBackoff
	for {
		ch := f.begin(true, 0)
		select {
		case <-ch:
		case <-f.ctx.Done():
			return
		}
		if f.load() != nil {
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-f.ctx.Done():
			t.Stop()
			return
		}
		backoff *= 2
		if backoff > f.tune.maxBackoff {
			backoff = f.tune.maxBackoff
		}
	}
}

// begin joins the running fetch or starts one. Without force (a fetch
// caused by a request) it starts nothing, and returns nil, when the last
// request-caused fetch began less than interval ago.
func (f *jwksFetcher) begin(force bool, interval time.Duration) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inflight != nil {
		return f.inflight
	}
	if f.ctx.Err() != nil {
		return nil
	}
	if !force {
		// only fetches caused by requests count against the request rate
		// limit: a failed start-up fetch (the gateway serving the JWKS may
		// not route yet) must not block the first requests
		now := time.Now()
		if !f.last.IsZero() && now.Sub(f.last) < interval {
			return nil
		}
		f.last = now
	}
	ch := make(chan struct{})
	f.inflight = ch
	go f.run(ch)
	return ch
}

func (f *jwksFetcher) run(ch chan struct{}) {
	defer func() {
		f.mu.Lock()
		f.inflight = nil
		f.mu.Unlock()
		close(ch)
	}()
	set, ttl, err := f.fetch()
	if err != nil {
		if f.ctx.Err() == nil && f.warn != nil {
			f.warn("jwt: " + fetcherOption(f) + " " + f.redacted + ": " + err.Error() + "; keeping the previous keys")
		}
		return
	}
	f.state.Store(&jwksState{set: set, expires: time.Now().Add(ttl)})
}

// fetch makes one GET of the JWKS.
func (f *jwksFetcher) fetch() (*keySet, time.Duration, error) {
	ctx, cancel := context.WithTimeout(f.ctx, f.tune.fetchTimeout)
	defer cancel()
	jwksURL := f.url
	if f.issuer != "" {
		u, err := discoverJWKS(ctx, f.client, f.url, f.issuer)
		if err != nil {
			return nil, 0, err
		}
		jwksURL = u
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, 0, errors.New("invalid request")
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, 0, errors.New("fetch failed: " + fetchCause(err, f.tune.fetchTimeout))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, 0, errors.New("status " + strconv.Itoa(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSSize+1))
	if err != nil {
		return nil, 0, errors.New("reading the answer failed")
	}
	if len(body) > MaxJWKSSize {
		return nil, 0, errors.New("answer larger than 1 MiB")
	}
	keys, problems, err := parseJWKSet(body)
	if err != nil {
		return nil, 0, err
	}
	if len(problems) > 0 && f.warn != nil {
		f.warn("jwt: " + fetcherOption(f) + " " + f.redacted + ": skipped " + strings.Join(problems, "; "))
	}
	if len(keys) == 0 {
		return nil, 0, errors.New("no usable signature key")
	}
	return newKeySet(keys), jwksTTL(resp.Header.Get("Cache-Control"), f.tune), nil
}

// fetchCause describes a failed JWKS request without its URL (which may
// hold a query with credentials): the transport's own error, or the
// timeout.
func fetchCause(err error, timeout time.Duration) string {
	inner := err
	if ue, ok := err.(*url.Error); ok {
		if ue.Timeout() {
			return "timed out after " + timeout.String()
		}
		inner = ue.Err
	}
	if errors.Is(inner, context.DeadlineExceeded) {
		return "timed out after " + timeout.String()
	}
	if errors.Is(inner, context.Canceled) {
		return "cancelled"
	}
	if ue, ok := inner.(*url.Error); ok {
		inner = ue.Err
	}
	return inner.Error()
}

// jwksTTL reads max-age from Cache-Control (no-store and no-cache mean the
// minimum), bounded by the tuning.
func jwksTTL(cc string, t jwksTuning) time.Duration {
	ttl := t.defaultTTL
	if cc != "" {
		parts := strings.Split(cc, ",")
		for i := 0; i < len(parts); i++ {
			p := strings.ToLower(strings.TrimSpace(parts[i]))
			if p == "no-store" || p == "no-cache" {
				ttl = 0
				break
			}
			if strings.HasPrefix(p, "max-age=") {
				v := strings.Trim(p[len("max-age="):], `"`)
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil && jwksDigits(v) {
					n = math.MaxInt64 // overflow: "forever"
					err = nil
				}
				if err == nil && n >= 0 {
					if n > int64(t.maxTTL/time.Second) {
						ttl = t.maxTTL
					} else {
						ttl = time.Duration(n) * time.Second
					}
				}
			}
		}
	}
	if ttl < t.minTTL {
		ttl = t.minTTL
	}
	if ttl > t.maxTTL {
		ttl = t.maxTTL
	}
	return ttl
}

func jwksDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// keys returns the key set to verify a token with this kid, fetching when
// needed (see jwksFetcher). It returns nil when no key set is available.
func (f *jwksFetcher) keys(ctx context.Context, kid string) *keySet {
	st := f.load()
	if st != nil {
		if time.Now().After(st.expires) {
			f.begin(false, f.tune.kidInterval) // background refresh
		}
		if kid == "" || st.set.knows(kid) {
			return st.set
		}
		ch := f.begin(false, f.tune.kidInterval)
		if ch == nil {
			return st.set
		}
		f.wait(ctx, ch)
		return f.load().set
	}
	ch := f.begin(false, f.tune.emptyInterval)
	if ch == nil {
		return nil
	}
	f.wait(ctx, ch)
	st = f.load()
	if st == nil {
		return nil
	}
	return st.set
}

func (f *jwksFetcher) wait(ctx context.Context, ch chan struct{}) {
	select {
	case <-ch:
	case <-ctx.Done():
	case <-f.ctx.Done():
	}
}

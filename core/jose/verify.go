package jose

// Verification of compact JWTs: signature, algorithm bound to the key,
// and the registered claims exp, nbf, iat, iss and aud.

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config configures a Verifier. Exactly one key source must be set:
// JWKSURL, DiscoveryURL, JWKSFile, PublicKeyFile, HMACSecret or Keys.
type Config struct {
	// JWKSURL is fetched lazily and in the background, cached as its
	// Cache-Control allows, and fetched again on an unknown kid at most
	// once per 10 s.
	JWKSURL string
	// DiscoveryURL is an issuer's OpenID configuration
	// (/.well-known/openid-configuration): its jwks_uri is the key source,
	// fetched and refreshed like JWKSURL (the document is read again on
	// every refresh), and its issuer must equal Issuer. An empty Issuer
	// becomes the URL without /.well-known/openid-configuration (OpenID
	// Connect Discovery §4), so that the check always runs.
	DiscoveryURL string
	// JWKSFile is a JWK Set document on disk.
	JWKSFile string
	// PublicKeyFile holds PEM public keys (PKIX or PKCS #1, or certificates).
	PublicKeyFile string
	// HMACSecret is a shared secret of at least 32 bytes, for HS*.
	HMACSecret string
	// Keys are verification keys given directly, such as a Signer's
	// public key.
	Keys []*Key
	// Algorithms limits the accepted algorithms; empty means every
	// algorithm the keys support (HS* only with HMACSecret).
	Algorithms []string
	// Issuer, when set, must equal the iss claim.
	Issuer string
	// Audience, when set, must hold the aud claim or one of its items.
	Audience []string
	// Leeway is the clock skew allowed on exp, nbf and iat.
	Leeway time.Duration
	// Typ, when set, is the required typ header (RFC 9068: at+jwt).
	Typ string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Verifier checks compact JWTs. Everything is parsed and checked when it
// is built; a token costs one decode, one signature verification and the
// claim checks. It is safe for concurrent use.
type Verifier struct {
	algs map[string]*jwsAlg
	// static holds the keys of jwks_file, public_key_file or hmac_secret;
	// remote is the jwks_url fetcher. Exactly one is set.
	static *keySet
	remote *jwksFetcher

	issuer   string
	audience []string
	leeway   float64 // seconds
	// typ, when set, is the required "typ" header (tokeninfo: at+jwt).
	typ string

	now    func() time.Time
	cancel context.CancelFunc

	// issuers, when set (NewIssuerSet), holds one verifier per issuer
	// and this Verifier only dispatches to them.
	issuers map[string]*Verifier
}

// NewVerifier validates cfg and builds the verifier. A JWKSURL is not
// fetched here: the first fetch runs in the background and on the first
// token that needs it (the JWKS may be served by the gateway that is
// starting). ctx bounds that background work; Close stops it too. client
// (nil: a client with a 30 s timeout) makes the JWKS calls. warn (optional)
// receives fetch problems, never credentials. Errors start with "jwt:" and
// name the option.
func NewVerifier(ctx context.Context, cfg Config, client *http.Client, warn func(string)) (*Verifier, error) {
	return newVerifierTuned(ctx, cfg, client, warn, defaultJWKSTuning())
}

// jwtKeySources names the key options, for messages.
const jwtKeySources = "jwks_url, discovery_url, jwks_file, public_key_file or hmac_secret"

func newVerifierTuned(ctx context.Context, cfg Config, client *http.Client, warn func(string), tune jwksTuning) (*Verifier, error) {
	var sources []string
	if cfg.JWKSURL != "" {
		sources = append(sources, "jwks_url")
	}
	if cfg.DiscoveryURL != "" {
		sources = append(sources, "discovery_url")
	}
	if cfg.JWKSFile != "" {
		sources = append(sources, "jwks_file")
	}
	if cfg.PublicKeyFile != "" {
		sources = append(sources, "public_key_file")
	}
	if cfg.HMACSecret != "" {
		sources = append(sources, "hmac_secret")
	}
	if len(cfg.Keys) > 0 {
		sources = append(sources, "keys")
	}
	if len(sources) == 0 {
		return nil, errors.New("jwt: no key source: set one of " + jwtKeySources)
	}
	if len(sources) > 1 {
		return nil, errors.New("jwt: " + strings.Join(sources, " and ") + " are exclusive: set only one of " + jwtKeySources)
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("jwt: leeway must not be negative, got " + cfg.Leeway.String())
	}
	for i := 0; i < len(cfg.Audience); i++ {
		if cfg.Audience[i] == "" {
			return nil, errors.New("jwt: audience contains an empty value")
		}
	}

	v := &Verifier{
		issuer:   cfg.Issuer,
		audience: append([]string(nil), cfg.Audience...),
		leeway:   cfg.Leeway.Seconds(),
		typ:      cfg.Typ,
		now:      cfg.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}

	source := sources[0]
	var keys []*Key
	var remoteURL, redacted string
	if source == "discovery_url" {
		u, issuer, err := discoveryConfig(cfg.DiscoveryURL, cfg.Issuer)
		if err != nil {
			return nil, err
		}
		v.issuer = issuer
		remoteURL = cfg.DiscoveryURL
		redacted = u
	}
	switch source {
	case "jwks_url":
		u, err := url.Parse(cfg.JWKSURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("jwt: jwks_url must be an absolute http or https URL")
		}
		remoteURL = cfg.JWKSURL
		// warnings name the URL without what may hold a credential (user
		// info, query, fragment)
		redacted = u.Scheme + "://" + u.Host + u.EscapedPath()
	case "jwks_file":
		data, err := os.ReadFile(cfg.JWKSFile)
		if err != nil {
			return nil, errors.New("jwt: jwks_file " + strconv.Quote(cfg.JWKSFile) + ": cannot read the file: " + fileErrCause(err))
		}
		var problems []string
		keys, problems, err = parseJWKSet(data)
		if err != nil {
			msg := err.Error()
			if strings.Contains(string(data), "-----BEGIN") {
				msg += ": the file " + describeKeyFile(data) + "; a PEM public key goes in public_key_file"
			}
			return nil, errors.New("jwt: jwks_file " + strconv.Quote(cfg.JWKSFile) + ": " + msg)
		}
		if len(problems) > 0 {
			return nil, errors.New("jwt: jwks_file " + strconv.Quote(cfg.JWKSFile) + ": " + strings.Join(problems, "; "))
		}
		if len(keys) == 0 {
			return nil, errors.New("jwt: jwks_file " + strconv.Quote(cfg.JWKSFile) + ": no usable signature key")
		}
	case "public_key_file":
		data, err := os.ReadFile(cfg.PublicKeyFile)
		if err != nil {
			return nil, errors.New("jwt: public_key_file " + strconv.Quote(cfg.PublicKeyFile) + ": cannot read the file: " + fileErrCause(err))
		}
		keys, err = parsePEMPublicKeys(data)
		if err != nil {
			return nil, errors.New("jwt: public_key_file " + strconv.Quote(cfg.PublicKeyFile) + ": " + err.Error())
		}
	case "hmac_secret":
		// RFC 7518 §3.2: a key at least as long as the hash output.
		if len(cfg.HMACSecret) < 32 {
			return nil, errors.New("jwt: hmac_secret must be at least 32 bytes long")
		}
		keys = []*Key{&Key{kty: "oct", hmac: []byte(cfg.HMACSecret)}}
	case "keys":
		keys = append(keys, cfg.Keys...)
	}

	// Algorithms: bound to what the keys can verify (RFC 8725 §3.1).
	fits := func(a *jwsAlg) bool {
		if source == "jwks_url" || source == "discovery_url" {
			return a.asymmetric()
		}
		for i := 0; i < len(keys); i++ {
			if keys[i].accepts(a) {
				return true
			}
		}
		return false
	}
	v.algs = make(map[string]*jwsAlg)
	if len(cfg.Algorithms) > 0 {
		for i := 0; i < len(cfg.Algorithms); i++ {
			name := cfg.Algorithms[i]
			a := jwsAlgs[name]
			if a == nil {
				if strings.EqualFold(name, "none") {
					return nil, errors.New("jwt: algorithms: none is never accepted")
				}
				return nil, errors.New("jwt: algorithms: unknown algorithm " + strconv.Quote(name) + " (supported: " + strings.Join(jwsAlgOrder, ", ") + ")")
			}
			if !fits(a) {
				return nil, errors.New("jwt: algorithms: " + name + " cannot be verified with the keys of " + source + jwtAlgHint(a, source))
			}
			v.algs[name] = a
		}
	} else {
		for i := 0; i < len(jwsAlgOrder); i++ {
			a := jwsAlgs[jwsAlgOrder[i]]
			if fits(a) {
				v.algs[a.name] = a
			}
		}
		if len(v.algs) == 0 {
			return nil, errors.New("jwt: no supported algorithm fits the keys of " + source)
		}
	}

	if ctx == nil {
		ctx = context.Background()
	}
	if remoteURL != "" {
		if client == nil {
			client = &http.Client{Timeout: 30 * time.Second}
		}
		fctx, cancel := context.WithCancel(ctx)
		v.cancel = cancel
		discoveryIssuer := ""
		if source == "discovery_url" {
			discoveryIssuer = v.issuer
		}
		v.remote = newJWKSFetcher(fctx, remoteURL, redacted, discoveryIssuer, client, warn, tune)
	} else {
		v.static = newKeySet(keys)
	}
	return v, nil
}

func jwtAlgHint(a *jwsAlg, source string) string {
	if a.family == jwsHMAC && source == "hmac_secret" {
		return " (" + a.name + " needs an hmac_secret of at least " + strconv.Itoa(a.size) + " bytes)"
	}
	if a.family == jwsHMAC {
		return " (HS* algorithms need hmac_secret)"
	}
	return ""
}

// Close stops the background JWKS work. It is safe to call twice.
func (v *Verifier) Close() {
	if v.cancel != nil {
		v.cancel()
	}
	for _, w := range v.issuers {
		w.Close()
	}
}

// Verify checks token and returns its claims, numbers as json.Number. ctx
// bounds a JWKS fetch the token may need (an unknown kid). Errors are
// sentinel errors that say why the token was refused and never contain
// it. Verify is a plain function rather than a method: it runs on every
// request, and under yaegi a method call costs several times more.
func Verify(v *Verifier, ctx context.Context, token string) (map[string]any, error) {
	j, payload, err := jwsParse(token)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if v.issuers != nil {
		v, claims, err = pickIssuer(v, payload)
		if err != nil {
			return nil, err
		}
	}
	a := v.algs[j.Alg]
	if a == nil {
		return nil, errJWTAlg
	}
	set := v.static
	if set == nil {
		set = v.remote.keys(ctx, j.Kid)
		if set == nil {
			return nil, errJWTNoKey
		}
	}
	if err := set.verify(a, j); err != nil {
		return nil, err
	}
	if v.typ != "" && !jwtTypIs(j.Typ, v.typ) {
		return nil, errJWTType
	}
	if claims == nil {
		claims, err = jwtClaims(payload)
		if err != nil {
			return nil, err
		}
	}
	if err := v.checkClaims(claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// jwtTypIs compares a typ header with a media type, with or without the
// "application/" prefix, case-insensitively (RFC 7515 §4.1.9).
func jwtTypIs(typ, want string) bool {
	if len(typ) > 12 && strings.EqualFold(typ[:12], "application/") {
		typ = typ[12:]
	}
	return strings.EqualFold(typ, want)
}

// checkClaims applies the time, issuer and audience checks. exp is
// required: a token without one would be valid forever. exp, nbf and iat
// must be JSON numbers (fractions allowed, RFC 7519 §2).
func (v *Verifier) checkClaims(claims map[string]any) error {
	now := v.now()
	t := float64(now.Unix()) + float64(now.Nanosecond())/1e9
	x, ok := claims["exp"]
	if !ok {
		return errJWTNoExp
	}
	exp, ok := jwtNumericDate(x)
	if !ok {
		return errJWTNumeric
	}
	if t >= exp+v.leeway {
		return errJWTExpired
	}
	if x, ok := claims["nbf"]; ok {
		nbf, ok := jwtNumericDate(x)
		if !ok {
			return errJWTNumeric
		}
		if t+v.leeway < nbf {
			return errJWTNotYet
		}
	}
	if x, ok := claims["iat"]; ok {
		iat, ok := jwtNumericDate(x)
		if !ok {
			return errJWTNumeric
		}
		if iat > t+v.leeway {
			return errJWTIatFuture
		}
	}
	if v.issuer != "" {
		iss, ok := claims["iss"].(string)
		if !ok || iss != v.issuer {
			return errJWTIssuer
		}
	}
	if len(v.audience) > 0 && !jwtAudienceOK(claims["aud"], v.audience) {
		return errJWTAudience
	}
	return nil
}

// jwtNumericDate reads a NumericDate: a JSON number, finite.
func jwtNumericDate(x any) (float64, bool) {
	n, ok := x.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// jwtAudienceOK: aud (a string or an array of strings) holds one of want.
func jwtAudienceOK(aud any, want []string) bool {
	if s, ok := aud.(string); ok {
		return jwtHas(want, s)
	}
	list, ok := aud.([]any)
	if !ok {
		return false
	}
	for i := 0; i < len(list); i++ {
		s, ok := list[i].(string)
		if !ok {
			return false
		}
		if jwtHas(want, s) {
			return true
		}
	}
	return false
}

func jwtHas(list []string, s string) bool {
	for i := 0; i < len(list); i++ {
		if list[i] == s {
			return true
		}
	}
	return false
}

// BearerToken extracts the bearer token of a request (RFC 6750 §2.1, the
// scheme case-insensitive). present is false when
// there is no Authorization header or it uses another scheme. Two
// Authorization headers of which one is Bearer are ambiguous: present,
// with an empty (invalid) token. "Bearer" without a token is present and
// invalid too.
func BearerToken(h http.Header) (token string, present bool) {
	vals := h["Authorization"]
	for i := 0; i < len(vals); i++ {
		tok, ok := jwtBearerValue(vals[i])
		if !ok {
			continue
		}
		if len(vals) > 1 {
			return "", true
		}
		return tok, true
	}
	return "", false
}

func jwtBearerValue(s string) (string, bool) {
	s = strings.Trim(s, " \t")
	if len(s) < 6 || !strings.EqualFold(s[:6], "bearer") {
		return "", false
	}
	if len(s) == 6 {
		return "", true
	}
	if s[6] != ' ' && s[6] != '\t' {
		return "", false
	}
	return strings.TrimLeft(s[7:], " \t"), true
}

// fileErrCause is why a file could not be read, without repeating its path.
func fileErrCause(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

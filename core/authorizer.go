package core

import (
	"context"
	"errors"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/aclgate/aclgate/core/rules"
)

// Authorizer decides on requests: allowed, or denied with 400, 401 or 403
// (non-strict mode lets a rule denial through with mia-allowed 0). Build one with
// [New]; it is safe for concurrent use. Call Close when the configuration
// is retired.
type Authorizer struct {
	decision bool
	strict   bool
	rules    *rules.Set

	ops bool      // hot reload, shadow rules, counters or decision log: see authorizeOps
	obs *observer // their state (core/observe.go)

	ident   identitySource // nil: everyone is anonymous
	trusted *trustedSource // non-nil in trust mode
	closers []func()       // stop background work of identity sources
	guard   *spoofGuard
	exact   []string // canonical trusted header names (trust mode)

	// canonical names of the upstream identity headers
	upID, upGroups, upProps string
	props                   proxyProps // user_properties_to_proxy
	clientType, backoffice  string

	// the gateway's own inputs
	inputs        bool       // one of those below needs work per request
	alwaysForward bool       // forward is needed on every allowed request (non-strict, setsInputs)
	setsInputs    bool       // inline, and aclgate sets client-type or isbackoffice upstream
	boFromHeader  bool       // backoffice "header": read the backoffice header
	boAlways      bool       // backoffice "true": every request is backoffice
	ctFromHeader  bool       // client_type "header": read the client-type header
	keys          *apiKeySet // client_type "api_key" with keys configured
	preflightPass bool
	login         *loginRedirect

	cancel context.CancelFunc
}

// New validates cfg, loads and compiles its rules and builds an Authorizer.
// Every error names the option at fault.
func New(cfg Config) (*Authorizer, error) {
	a := &Authorizer{strict: cfg.Strict}
	switch cfg.Mode {
	case "", ModeInline:
	case ModeDecision:
		a.decision = true
	default:
		return nil, errors.New("mode: " + quote(cfg.Mode) + " is not inline or decision")
	}
	if cfg.UseridHeader == "" {
		cfg.UseridHeader = DefaultUseridHeader
	}
	if cfg.GroupsHeader == "" {
		cfg.GroupsHeader = DefaultGroupsHeader
	}
	if cfg.UserPropertiesHeader == "" {
		cfg.UserPropertiesHeader = DefaultUserPropertiesHeader
	}
	if cfg.ClientTypeHeader == "" {
		cfg.ClientTypeHeader = DefaultClientTypeHeader
	}
	if cfg.BackofficeHeader == "" {
		cfg.BackofficeHeader = DefaultBackofficeHeader
	}
	names := []struct{ option, value string }{
		{"userid_header", cfg.UseridHeader}, {"groups_header", cfg.GroupsHeader},
		{"user_properties_header", cfg.UserPropertiesHeader}, {"client_type_header", cfg.ClientTypeHeader},
		{"backoffice_header", cfg.BackofficeHeader},
	}
	for i := 0; i < len(names); i++ {
		if !validHeaderName(names[i].value) {
			return nil, errors.New(names[i].option + ": " + quote(names[i].value) + " is not a valid header name")
		}
	}
	a.upID = textproto.CanonicalMIMEHeaderKey(cfg.UseridHeader)
	a.upGroups = textproto.CanonicalMIMEHeaderKey(cfg.GroupsHeader)
	a.upProps = textproto.CanonicalMIMEHeaderKey(cfg.UserPropertiesHeader)
	a.clientType = textproto.CanonicalMIMEHeaderKey(cfg.ClientTypeHeader)
	a.backoffice = textproto.CanonicalMIMEHeaderKey(cfg.BackofficeHeader)
	a.props.names = trimList(cfg.UserPropertiesToProxy)
	for i := 0; i < len(a.props.names); i++ {
		a.props.quoted = append(a.props.quoted, quote(a.props.names[i]))
	}
	guarded := []string{
		DefaultUseridHeader, DefaultGroupsHeader, DefaultUserPropertiesHeader,
		HeaderAllowed, HeaderUserID, HeaderGroups, HeaderUserProperties,
		cfg.UseridHeader, cfg.GroupsHeader, cfg.UserPropertiesHeader,
	}
	owned, err := gatewayInputs(a, &cfg)
	if err != nil {
		return nil, err
	}
	a.guard = newSpoofGuard(append(append(guarded, owned...), overrideHeaders...))
	setHopNames(a.guard, []string{cfg.ClientTypeHeader, cfg.BackofficeHeader})

	sources := 0
	if cfg.UserinfoURL != "" {
		sources++
	} else if cfg.BackofficeUserinfoURL != "" {
		return nil, errors.New("backoffice_userinfo_url: needs userinfo_url")
	}
	if cfg.TrustUserHeaders {
		sources++
	}
	hasJWT := cfg.JWT != nil || len(cfg.JWTIssuers) > 0
	if hasJWT {
		sources++
	}
	if len(cfg.IdentityOrder) > 0 {
		if err := checkIdentityOrder(&cfg, hasJWT); err != nil {
			return nil, err
		}
	} else if sources > 1 {
		return nil, errors.New("identity: configure only one of userinfo_url, trust_user_headers and jwt (or list jwt and userinfo in identity_order)")
	}
	if cfg.UserinfoTimeout < 0 {
		return nil, errors.New("userinfo_timeout: must not be negative")
	}
	if err := checkUserinfoOptions(&cfg); err != nil {
		return nil, err
	}
	timeout := cfg.UserinfoTimeout
	if timeout == 0 {
		timeout = DefaultUserinfoTimeout
	}
	client := cfg.HTTPClient
	if client == nil {
		client = newHTTPClient(timeout)
	}
	parent := cfg.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	a.cancel = cancel

	switch {
	case sources > 1:
		var src *identityChain
		src, err = newIdentityChain(ctx, &cfg, a, client)
		if err == nil {
			a.ident = src
			a.closers = append(a.closers, func() { src.jwt.v.Close() })
		}
	case cfg.UserinfoURL != "":
		// (yaegi cannot assign a concrete result of a multi-value call to
		// an interface field directly)
		var src *userinfoSource
		src, err = newUserinfoSource(&cfg, client)
		if err == nil {
			src.props = &a.props
			a.ident = src
		}
	case cfg.TrustUserHeaders:
		a.trusted = &trustedSource{idKey: a.upID, groupsKey: a.upGroups, propsKey: a.upProps, permissionsKey: cfg.PermissionsKey, props: &a.props}
		a.exact = []string{a.upID, a.upGroups, a.upProps}
	case hasJWT:
		var src *jwtSource
		src, err = newJWTIdentity(ctx, jwtBlocks(&cfg), client, warnFunc(cfg.Hooks), a.decision)
		if err == nil {
			src.props = &a.props
			a.ident = src
			a.closers = append(a.closers, func() { src.v.Close() })
		}
	}
	if err != nil {
		cancel()
		return nil, err
	}
	if err = loadRules(ctx, a, &cfg); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close stops background work (JWKS refresh). It is safe to call twice.
func (a *Authorizer) Close() {
	if a.cancel != nil {
		a.cancel()
	}
	for i := 0; i < len(a.closers); i++ {
		a.closers[i]()
	}
	a.closers = nil
}

// DecisionMode reports whether the Authorizer answers like Mia's /auth.
func (a *Authorizer) DecisionMode() bool { return a.decision }

func newHTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	tr.ResponseHeaderTimeout = timeout
	return &http.Client{
		Timeout:   timeout,
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

func trimList(in []string) []string {
	var out []string
	for i := 0; i < len(in); i++ {
		if s := strings.TrimSpace(in[i]); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// gatewayInputs sets up the inputs that Mia's gateway, not the client,
// decides: the backoffice flag, the client type (from API keys), the CORS
// preflight and the login redirect. It returns the request headers that
// the client may not send because aclgate decides them: inline, a
// backoffice header unless it is read and the client-type header unless it
// is read. (The API-key headers are removed once read.)
func gatewayInputs(a *Authorizer, cfg *Config) ([]string, error) {
	var owned []string
	bo := strings.TrimSpace(cfg.Backoffice)
	if bo == "" {
		bo = BackofficeFalse
		if a.decision {
			bo = BackofficeFromHeader
		}
	}
	switch bo {
	case BackofficeFalse:
	case BackofficeTrue:
		a.boAlways = true
	case BackofficeFromHeader:
		a.boFromHeader = true
	default:
		return nil, errors.New("backoffice: " + quote(cfg.Backoffice) + " is not false, true or header")
	}
	ct := strings.TrimSpace(cfg.ClientType)
	if ct == "" {
		ct = ClientTypeAPIKey
		if a.decision && len(cfg.APIKeys) == 0 {
			ct = ClientTypeFromHeader
		}
	}
	switch ct {
	case ClientTypeAPIKey:
		if len(cfg.APIKeys) > 0 {
			keys, err := newAPIKeySet(cfg.APIKeys)
			if err != nil {
				return nil, err
			}
			a.keys = keys
		}
	case ClientTypeFromHeader:
		a.ctFromHeader = true
		if len(cfg.APIKeys) > 0 {
			return nil, errors.New("client_type: " + quote(cfg.ClientType) + " reads the client type from a header, so the configured API keys would never be used: remove them or use api_key")
		}
	default:
		return nil, errors.New("client_type: " + quote(cfg.ClientType) + " is not api_key or header")
	}
	switch strings.TrimSpace(cfg.Preflight) {
	case "", PreflightDecide:
	case PreflightPass:
		a.preflightPass = true
	default:
		return nil, errors.New("preflight: " + quote(cfg.Preflight) + " is not decide or pass")
	}
	login, err := newLoginRedirect(strings.TrimSpace(cfg.LoginRedirect))
	if err != nil {
		return nil, err
	}
	a.login = login
	a.inputs = a.boAlways || a.boFromHeader || a.ctFromHeader || a.keys != nil || a.preflightPass
	a.setsInputs = !a.decision && (a.keys != nil || a.boAlways)
	a.alwaysForward = !a.strict || a.setsInputs
	if a.decision {
		return nil, nil
	}
	if !a.boFromHeader {
		owned = append(owned, cfg.BackofficeHeader)
	}
	if !a.ctFromHeader {
		owned = append(owned, cfg.ClientTypeHeader)
	}
	return owned, nil
}

// checkUserinfoOptions refuses userinfo options that would be ignored or
// could never work: a cache without a userinfo source, and header names
// that no request can carry.
func checkUserinfoOptions(cfg *Config) error {
	if cfg.CacheTTL > 0 && cfg.UserinfoURL == "" {
		return errors.New("cache_ttl: " + quote(cfg.CacheTTL.String()) + " caches userinfo answers, but userinfo_url is not set: remove cache_ttl or set userinfo_url")
	}
	lists := []struct {
		option string
		items  []string
	}{{"headers_to_proxy", cfg.HeadersToProxy}, {"authorization_headers_to_proxy", cfg.AuthorizationHeadersToProxy}}
	for i := 0; i < len(lists); i++ {
		items := lists[i].items
		for j := 0; j < len(items); j++ {
			n := strings.TrimSpace(items[j])
			if n != "" && !validHeaderName(n) {
				return errors.New(lists[i].option + ": item " + strconv.Itoa(j+1) + ", " + quote(items[j]) + ", is not a valid header name")
			}
		}
	}
	return nil
}

// rulesSource is where the rules of cfg come from.
func rulesSource(cfg *Config) rules.Source {
	src := rules.Source{File: cfg.RulesFile, JSON: cfg.RulesJSON}
	for i := 0; i < len(cfg.Rules); i++ {
		r := cfg.Rules[i]
		src.Rules = append(src.Rules, rules.Rule{Method: r.Method, Path: r.Path, Expression: r.Expression, Public: r.Public, Backoffice: r.Backoffice, Name: r.Name})
	}
	return src
}

package caddyauthz

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/aclgate/aclgate/core"
)

func init() {
	caddy.RegisterModule(Authz{})
}

// Authz is the http.handlers.authz middleware: Mia-Platform-compatible
// authorization of every request, decided by aclgate's core engine.
//
// Inline (the default), an allowed request continues to the next handler
// with the identity headers miauserid, miausergroups and miauserproperties
// (names configurable), a request to a canonicalised path continues with the
// canonical path, and a denial is answered here with a JSON body
// {"statusCode":401,"error":"Unauthorized","message":"..."} (401, 403 or
// 400); denials do not go through handle_errors. With `strict false` every
// request continues and carries mia-allowed: 0|1.
//
// In decision mode (mode decision) it answers like Mia's /auth endpoint:
// the request to decide on is described by Original-Request-Uri and
// Original-Request-Method, else X-Forwarded-Uri and X-Forwarded-Method, and
// the answer is 200, 401 or 403 with mia-allowed, mia-userid, mia-groups and
// mia-userproperties. The next handler is never called.
//
// Identity headers sent by the client (miauserid, mia-userid, their
// configured names and every spelling that differs only in case or in
// non-alphanumeric characters, such as mia_userid) are always removed first.
//
// When the caller is known, Authz sets these placeholders:
//
//	{http.auth.user.id}           the user id (also the access log's user_id)
//	{http.auth.user.groups}       the groups, comma-separated
//	{http.auth.user.permissions}  the permissions, comma-separated
//	{http.auth.user.<property>}   every string, number or boolean property of
//	                              the user (userinfo field, JWT claim or
//	                              trusted property)
//
// and on every request:
//
//	{http.authz.allowed}  "1" or "0", like mia-allowed
//	{http.authz.reason}   allowed, route_not_found, unauthenticated,
//	                      forbidden, invalid_token or bad_request
//	{http.authz.route}    the matched rule, e.g. "GET /users/:id"
//	{http.authz.client_type}  the client type of the request's API key
//
// String and list values accept global placeholders such as
// {env.USERINFO_URL}, expanded once when the configuration loads; a list
// item may also hold several comma-separated values (a Mia-style
// environment variable), and an option with a default keeps it when its
// value expands to nothing. rules_json accepts a placeholder only as its
// whole value.
//
// Note: apache/casbin-caddy-authz registers the same module ID and directive
// name; the two plugins cannot be built into one Caddy binary.
type Authz struct {
	// Mode is "inline" (default: decide on the request itself and let it
	// continue) or "decision" (answer like Mia's /auth endpoint).
	Mode string `json:"mode,omitempty"`

	// Strict selects the strict column of the decision table (default
	// true): denials are answered 401/403. With false every request is
	// allowed through (inline) or answered 200 (decision) with
	// mia-allowed 0 or 1. Mia: AUTHORIZATION_STRICT_MODE_ENABLED.
	Strict *bool `json:"strict,omitempty"`

	// UserinfoURL enables the userinfo identity source: GET this URL with
	// the request's headers_to_proxy; a 2xx JSON object is the user.
	// Mia: USERINFO_URL.
	UserinfoURL string `json:"userinfo_url,omitempty"`

	// BackofficeUserinfoURL replaces userinfo_url for backoffice requests.
	// Mia: BACKOFFICE_USERINFO_URL.
	BackofficeUserinfoURL string `json:"backoffice_userinfo_url,omitempty"`

	// HeadersToProxy are the request headers copied to the userinfo call
	// (default authorization and cookie). Mia: HEADERS_TO_PROXY.
	HeadersToProxy []string `json:"headers_to_proxy,omitempty"`

	// AuthorizationHeadersToProxy, when set, skips the userinfo call (the
	// caller is anonymous) for requests that carry none of these headers.
	// Mia: AUTHORIZATION_HEADERS_TO_PROXY.
	AuthorizationHeadersToProxy []string `json:"authorization_headers_to_proxy,omitempty"`

	// UserIDKey is the userinfo field holding the user id (default "sub").
	// Mia: CUSTOM_USER_ID_KEY.
	UserIDKey string `json:"user_id_key,omitempty"`

	// PermissionsKey is the userinfo (or trusted properties) field holding
	// the permissions, an array of strings (default: none).
	// Mia: CUSTOM_PERMISSIONS_KEY.
	PermissionsKey string `json:"permissions_key,omitempty"`

	// UserPropertiesToProxy names the user fields sent upstream in the
	// properties header (default: none, the header is {}).
	// Mia: USER_PROPERTIES_TO_PROXY.
	UserPropertiesToProxy []string `json:"user_properties_to_proxy,omitempty"`

	// UserinfoTimeout bounds one userinfo call (default 1m).
	UserinfoTimeout caddy.Duration `json:"userinfo_timeout,omitempty"`

	// CacheTTL > 0 caches userinfo answers (users, 401 and 403) for that
	// long (default 0: no cache).
	CacheTTL caddy.Duration `json:"cache_ttl,omitempty"`

	// CacheSize bounds the userinfo cache (default 10000 answers).
	CacheSize int `json:"cache_size,omitempty"`

	// TrustUserHeaders reads the user from the userid, groups and
	// properties headers of the request. Only behind a trusted edge that
	// sets these headers itself. Mia: TRUST_MIA_USER_HEADERS.
	TrustUserHeaders bool `json:"trust_user_headers,omitempty"`

	// UseridHeader names the user id header (default "miauserid").
	// Mia: USERID_HEADER_KEY.
	UseridHeader string `json:"userid_header,omitempty"`

	// GroupsHeader names the groups header (default "miausergroups").
	// Mia: GROUPS_HEADER_KEY.
	GroupsHeader string `json:"groups_header,omitempty"`

	// UserPropertiesHeader names the user properties header (default
	// "miauserproperties"). Mia: USER_PROPERTIES_HEADER_KEY.
	UserPropertiesHeader string `json:"user_properties_header,omitempty"`

	// ClientTypeHeader feeds clientType in expressions (default
	// "client-type"). Mia: CLIENT_TYPE_HEADER_KEY.
	ClientTypeHeader string `json:"client_type_header,omitempty"`

	// BackofficeHeader names the backoffice header (default
	// "isbackoffice"): read with backoffice header, set upstream with
	// backoffice true. Mia: BACKOFFICE_HEADER_KEY.
	BackofficeHeader string `json:"backoffice_header,omitempty"`

	// Backoffice says which entry point this is, as Mia's gateway does
	// per listener: "false" (inline default: every request is a frontend
	// request), "true" (the backoffice site: every request is a backoffice
	// request and upstream gets isbackoffice: true) or "header" (read the
	// backoffice header; decision-mode default, and inline only behind a
	// trusted edge that sets it). With false or true a client's backoffice
	// header is removed.
	Backoffice string `json:"backoffice,omitempty"`

	// ClientType says where clientType comes from: "api_key" (inline
	// default: from the API key in the client-key header, the deprecated
	// secret header or the client_key cookie; upstream gets client-type
	// set from the key and never the client's own) or "header" (read the
	// client-type header; decision-mode default, and inline only behind a
	// trusted edge).
	ClientType string `json:"client_type,omitempty"`

	// APIKeys map API keys to client types. A request with a key that is
	// not here is answered 401, on public routes too.
	APIKeys []APIKey `json:"api_key,omitempty"`

	// APIKeysSHA256 are API keys given as the hex SHA-256 of the key.
	APIKeysSHA256 []APIKey `json:"api_key_sha256,omitempty"`

	// Preflight is "decide" (default: a CORS preflight is decided like any
	// other request) or "pass" (an OPTIONS request with Origin and
	// Access-Control-Request-Method continues to the next handler without
	// identity or rules, for the site's CORS handler to answer).
	Preflight string `json:"preflight,omitempty"`

	// LoginRedirect answers a browser navigation (GET or HEAD preferring
	// text/html) that would get 401 with a 302 to this URL instead; {uri}
	// expands to the query-escaped original request URI. 403 is never
	// redirected. Mia: the gateway's /web-login?redirect= behaviour.
	LoginRedirect string `json:"login_redirect,omitempty"`

	// RulesFile is the path of a Mia auth.json rules file, relative to
	// Caddy's working directory. Mia: CONFIGURATION_PATH +
	// CONFIGURATION_FILE_NAME.
	RulesFile string `json:"rules_file,omitempty"`

	// RulesJSON is an auth.json document given inline.
	RulesJSON string `json:"rules_json,omitempty"`

	// Rules are inline rules, added to those of rules_file and rules_json.
	// The same path and method twice is a configuration error.
	Rules []Rule `json:"rule,omitempty"`

	// JWT enables local verification of JWTs as the identity source: one
	// object, or a list with one block per issuer (each with its issuer;
	// the token's iss chooses the block).
	JWT JWTBlocks `json:"jwt,omitempty"`

	// IdentityOrder lists the identity sources to try in order (jwt,
	// userinfo) when both are configured: the first that finds a
	// credential decides.
	IdentityOrder []string `json:"identity_order,omitempty"`

	// OpsOptions: rules_reload, shadow_rules_file, metrics_path, decision_log.
	OpsOptions

	az     *core.Authorizer
	logger *zap.Logger
	mode   string
}

// Rule is one inline rule, the Caddyfile's
// `rule <METHOD|ALL> <path> <expression> [public] [backoffice]`.
type Rule struct {
	// Method is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ALL.
	Method string `json:"method"`
	// Path is an auth.json key: "/users/:id", "/users/" (a prefix), "/".
	Path string `json:"path"`
	// Expression is the ACL expression, e.g. `groups.admin`.
	Expression string `json:"expression"`
	// Public lets anonymous callers through when the expression holds.
	Public bool `json:"public,omitempty"`
	// Backoffice puts the rule into backofficeAuthorization instead of
	// authorization.
	Backoffice bool `json:"backoffice,omitempty"`
}

// APIKey is one API key and the client type it grants: Key in api_key,
// KeySHA256 (hex) in api_key_sha256.
type APIKey struct {
	// Key is the key as clients send it.
	Key string `json:"key,omitempty"`
	// KeySHA256 is the hex SHA-256 of the key.
	KeySHA256 string `json:"key_sha256,omitempty"`
	// ClientType is the clientType of requests with this key.
	ClientType string `json:"client_type"`
}

// JWT configures local verification of JWTs. Exactly one key source:
// jwks_url, discovery_url, jwks_file, public_key_file or hmac_secret.
type JWT struct {
	// DiscoveryURL is the issuer's OpenID configuration
	// (.../.well-known/openid-configuration): its jwks_uri is the key
	// source and its issuer must equal issuer (when issuer is unset, the
	// URL without /.well-known/openid-configuration).
	DiscoveryURL string `json:"discovery_url,omitempty"`
	// TokenFrom lists where the token is looked for, in order:
	// header:<Name>, cookie:<name>, query:<name> (default
	// header:Authorization, Bearer scheme). A query token is removed from
	// the URL before the request goes upstream.
	TokenFrom []string `json:"token_from,omitempty"`
	// JWKSURL is fetched lazily, cached and refetched on an unknown kid
	// (at most once per 10s). It may point at this Caddy's own authz_token.
	JWKSURL string `json:"jwks_url,omitempty"`
	// JWKSFile is a JWKS document on disk.
	JWKSFile string `json:"jwks_file,omitempty"`
	// PublicKeyFile is a PEM public key (RSA, ECDSA or Ed25519).
	PublicKeyFile string `json:"public_key_file,omitempty"`
	// HMACSecret is a shared secret for HS256/384/512.
	HMACSecret string `json:"hmac_secret,omitempty"`
	// Issuer, when set, must equal the iss claim.
	Issuer string `json:"issuer,omitempty"`
	// Audience, when set, must share a value with the aud claim.
	Audience []string `json:"audience,omitempty"`
	// Algorithms limits the accepted alg values (default: every algorithm
	// the keys support; HS* only with hmac_secret).
	Algorithms []string `json:"algorithms,omitempty"`
	// Leeway is the clock skew allowed on exp, nbf and iat (default 30s).
	Leeway *caddy.Duration `json:"leeway,omitempty"`
	// UserIDClaim is the claim holding the user id (default "sub").
	UserIDClaim string `json:"user_id_claim,omitempty"`
	// GroupsClaim is the claim holding the groups (default "groups").
	GroupsClaim string `json:"groups_claim,omitempty"`
	// PermissionsClaim is the claim holding the permissions (default
	// "permissions"); a space-separated string such as scope is split.
	PermissionsClaim string `json:"permissions_claim,omitempty"`
	// TokenCacheSize bounds the cache of verified tokens (default 10000):
	// a token is verified once and then served from the cache until its
	// exp (a minute at most). The cache changes the cost, not the outcome.
	TokenCacheSize int `json:"token_cache_size,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Authz) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.authz",
		New: func() caddy.Module { return new(Authz) },
	}
}

// Provision expands global placeholders, validates the whole configuration
// (rules, expressions, keys) and builds the authorizer.
func (a *Authz) Provision(ctx caddy.Context) error {
	a.logger = ctx.Logger()
	registerMetrics(ctx.GetMetricsRegistry())

	cfg, err := a.coreConfig(caddy.NewReplacer())
	if err != nil {
		return err
	}
	cfg.Context = ctx
	cfg.Hooks = core.Hooks{
		WarnFields: func(msg string, kv []string) { a.logger.Warn(msg, zapFields(kv)...) },
		UserinfoDone: func(d time.Duration, outcome string) {
			authzMetrics.userinfoDuration.Observe(d.Seconds())
			if outcome == "error" {
				authzMetrics.userinfoErrors.Inc()
			}
		},
	}
	a.opsHooks(&cfg.Hooks)
	az, err := core.New(cfg)
	if err != nil {
		return err
	}
	a.az = az
	a.mode = cfg.Mode
	if a.mode == "" {
		a.mode = core.ModeInline
	}
	return nil
}

// zapFields turns core's warning fields (key, value, key, value…) into
// zap fields.
func zapFields(kv []string) []zap.Field {
	fields := make([]zap.Field, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		fields = append(fields, zap.String(kv[i], kv[i+1]))
	}
	return fields
}

// coreConfig translates the module's fields into a core.Config, expanding
// global placeholders with repl. A placeholder that expands to nothing
// (an unset environment variable) leaves an option with a default at its
// default; for any other option it is an error, so that an unset
// {env.USERINFO_URL} cannot silently turn identity off.
func (a *Authz) coreConfig(repl *caddy.Replacer) (core.Config, error) {
	ex := newExpander(repl)
	str := ex.str
	// set overrides a default only with a non-empty value, so that an
	// unset environment variable keeps the default
	set := func(dst *string, v string) {
		if s := repl.ReplaceKnown(v, ""); s != "" {
			*dst = s
		}
	}
	cfg := core.DefaultConfig()
	set(&cfg.Mode, a.Mode)
	if a.Strict != nil {
		cfg.Strict = *a.Strict
	}
	cfg.UserinfoURL = str("userinfo_url", a.UserinfoURL)
	cfg.BackofficeUserinfoURL = str("backoffice_userinfo_url", a.BackofficeUserinfoURL)
	if l := expandList(repl, a.HeadersToProxy); len(l) > 0 {
		cfg.HeadersToProxy = l
	}
	cfg.AuthorizationHeadersToProxy = ex.list("authorization_headers_to_proxy", a.AuthorizationHeadersToProxy)
	set(&cfg.UserIDKey, a.UserIDKey)
	cfg.PermissionsKey = str("permissions_key", a.PermissionsKey)
	cfg.UserPropertiesToProxy = ex.list("user_properties_to_proxy", a.UserPropertiesToProxy)
	// In JSON a zero duration or size is the same as an absent one: it
	// means the default in every spelling (the Caddyfile refuses an
	// explicit userinfo_timeout 0s, which would be taken for "no timeout").
	if a.UserinfoTimeout < 0 {
		return cfg, fmt.Errorf("userinfo_timeout: must not be negative, got %s", time.Duration(a.UserinfoTimeout))
	}
	if a.UserinfoTimeout != 0 {
		cfg.UserinfoTimeout = time.Duration(a.UserinfoTimeout)
	}
	if a.CacheTTL < 0 {
		return cfg, fmt.Errorf("cache_ttl: must not be negative, got %s", time.Duration(a.CacheTTL))
	}
	cfg.CacheTTL = time.Duration(a.CacheTTL)
	if a.CacheSize < 0 {
		return cfg, fmt.Errorf("cache_size: %d must not be negative (0 or no value means the default, %d)", a.CacheSize, core.DefaultCacheSize)
	}
	if a.CacheSize != 0 {
		cfg.CacheSize = a.CacheSize
	}
	cfg.TrustUserHeaders = a.TrustUserHeaders
	set(&cfg.UseridHeader, a.UseridHeader)
	set(&cfg.GroupsHeader, a.GroupsHeader)
	set(&cfg.UserPropertiesHeader, a.UserPropertiesHeader)
	set(&cfg.ClientTypeHeader, a.ClientTypeHeader)
	set(&cfg.BackofficeHeader, a.BackofficeHeader)
	set(&cfg.Backoffice, a.Backoffice)
	set(&cfg.ClientType, a.ClientType)
	for i, k := range a.APIKeys {
		name := fmt.Sprintf("api_key[%d]", i)
		cfg.APIKeys = append(cfg.APIKeys, core.APIKey{Key: str(name, k.Key), ClientType: str(name+".client_type", k.ClientType), Name: name})
	}
	for i, k := range a.APIKeysSHA256 {
		name := fmt.Sprintf("api_key_sha256[%d]", i)
		cfg.APIKeys = append(cfg.APIKeys, core.APIKey{KeySHA256: str(name, k.KeySHA256), ClientType: str(name+".client_type", k.ClientType), Name: name})
	}
	set(&cfg.Preflight, a.Preflight)
	// The Caddyfile turns the {uri} shorthand into {http.request.uri}; both
	// mean the original request URI here.
	cfg.LoginRedirect = str("login_redirect", strings.ReplaceAll(a.LoginRedirect, "{http.request.uri}", "{uri}"))
	cfg.RulesFile = str("rules_file", a.RulesFile)
	cfg.RulesJSON = a.RulesJSON
	if isSinglePlaceholder(a.RulesJSON) {
		cfg.RulesJSON = str("rules_json", strings.TrimSpace(a.RulesJSON))
	}
	for i, r := range a.Rules {
		name := fmt.Sprintf("rule[%d]", i)
		cfg.Rules = append(cfg.Rules, core.Rule{
			Method:     str(name+".method", r.Method),
			Path:       str(name+".path", r.Path),
			Expression: str(name+".expression", r.Expression),
			Public:     r.Public,
			Backoffice: r.Backoffice,
			Name:       name,
		})
	}
	a.OpsOptions.coreOps(&cfg, str)
	blocks, err := jwtConfigs(ex, a.JWT)
	if err != nil {
		return cfg, err
	}
	if len(blocks) == 1 {
		cfg.JWT = &blocks[0]
	} else {
		cfg.JWTIssuers = blocks
	}
	cfg.IdentityOrder = expandSpaced(repl, a.IdentityOrder)
	return cfg, ex.err
}

// expander expands global placeholders in options that have no default
// and remembers the first one that expanded to nothing.
type expander struct {
	repl *caddy.Replacer
	err  error
}

func newExpander(repl *caddy.Replacer) *expander { return &expander{repl: repl} }

// str expands v, the value of option.
func (e *expander) str(option, v string) string {
	s := e.repl.ReplaceKnown(v, "")
	if s == "" && strings.TrimSpace(v) != "" && e.err == nil {
		e.err = emptyExpansion(option, v)
	}
	return s
}

// list expands a list option (see expandList); a list that was written
// but expanded to nothing is an error.
func (e *expander) list(option string, in []string) []string {
	out := expandList(e.repl, in)
	if len(in) > 0 && len(out) == 0 && e.err == nil {
		e.err = emptyExpansion(option, strings.Join(in, " "))
	}
	return out
}

func emptyExpansion(option, v string) error {
	if strings.Contains(v, "{") {
		return fmt.Errorf("%s: %q expands to an empty value (is the environment variable set?); set it, or remove the option", option, v)
	}
	return fmt.Errorf("%s: %q is empty", option, v)
}

// expandList expands global placeholders in every item and splits items on
// commas, so that a Mia-style environment variable ("authorization,cookie")
// can fill a list. Empty items are dropped.
func expandList(repl *caddy.Replacer, in []string) []string {
	if in == nil {
		return nil
	}
	out := []string{}
	for _, item := range in {
		for _, s := range strings.Split(repl.ReplaceKnown(item, ""), ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// isSinglePlaceholder reports whether s is exactly one placeholder, like
// {env.RULES_JSON}, and not a JSON document.
func isSinglePlaceholder(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 3 || s[0] != '{' || s[len(s)-1] != '}' {
		return false
	}
	return !strings.ContainsAny(s[1:len(s)-1], "{}\"' \t\r\n:,")
}

// Validate checks that Provision built the authorizer; every option was
// validated there.
func (a *Authz) Validate() error {
	if a.az == nil {
		return errors.New("authz: not provisioned")
	}
	return nil
}

// Cleanup stops the authorizer's background work (JWKS refresh).
func (a *Authz) Cleanup() error {
	if a.az != nil {
		a.az.Close()
	}
	return nil
}

// ServeHTTP decides on r: allowed requests (and, non-strict, all requests)
// continue to next inline; denials and decision-mode answers are written
// here and next is not called.
func (a *Authz) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if a.MetricsPath != "" && r.URL.Path == a.MetricsPath {
		a.az.ServeMetrics(w, r)
		return nil
	}
	d := a.az.Authorize(r)
	a.record(r, &d)
	if d.Continue {
		return next.ServeHTTP(w, r)
	}
	a.az.Respond(w, &d)
	return nil
}

// record counts, logs and publishes d as placeholders.
func (a *Authz) record(r *http.Request, d *core.Decision) {
	authzMetrics.decisions.WithLabelValues(d.Reason, d.Route).Inc()

	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		setPlaceholders(repl, d)
	}

	level := zapcore.DebugLevel
	if !d.Allowed {
		level = zapcore.InfoLevel
	}
	if c := a.logger.Check(level, "authz decision"); c != nil {
		c.Write(
			zap.String("mode", a.mode),
			zap.String("method", d.Method),
			zap.String("path", d.Path),
			zap.String("route", d.Route),
			zap.String("user_id", d.User.ID),
			zap.Int("status", d.Status),
			zap.Bool("allowed", d.Allowed),
			zap.String("reason", d.Reason),
		)
	}
}

// setPlaceholders sets {http.authz.*} and, for a known caller,
// {http.auth.user.*}. Properties go first so that id, groups and
// permissions always win over properties of those names.
func setPlaceholders(repl *caddy.Replacer, d *core.Decision) {
	if d.Allowed {
		repl.Set("http.authz.allowed", "1")
	} else {
		repl.Set("http.authz.allowed", "0")
	}
	repl.Set("http.authz.reason", d.Reason)
	repl.Set("http.authz.route", d.Route)
	repl.Set("http.authz.client_type", d.ClientType)
	u := &d.User
	if u.Anonymous() {
		return
	}
	for k, v := range u.Properties {
		if s, ok := scalarString(v); ok {
			repl.Set("http.auth.user."+k, s)
		}
	}
	repl.Set("http.auth.user.id", u.ID)
	repl.Set("http.auth.user.groups", strings.Join(u.Groups, ","))
	repl.Set("http.auth.user.permissions", strings.Join(u.Permissions, ","))
}

// scalarString formats a string, number or boolean property; other values
// (objects, arrays, null) have no placeholder.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return x.String(), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10), true
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return "", false
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Authz)(nil)
	_ caddy.Validator             = (*Authz)(nil)
	_ caddy.CleanerUpper          = (*Authz)(nil)
	_ caddyhttp.MiddlewareHandler = (*Authz)(nil)
	_ caddyfile.Unmarshaler       = (*Authz)(nil)
)

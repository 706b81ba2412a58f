package traefikauthz

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aclgate/aclgate/core"
	"github.com/aclgate/aclgate/core/token"
)

// handler is the middleware: the token endpoint (when configured), then
// the authorization of core. It never wraps the ResponseWriter.
type handler struct {
	next   http.Handler
	authz  *core.Authorizer
	tokens *token.Issuer // nil when no tokenEndpoint is configured
}

// New builds the middleware from config. Traefik calls it for every router
// that uses the middleware, on every dynamic-configuration reload; ctx is
// cancelled when that configuration is retired, which stops the background
// work (JWKS refresh). Every error is prefixed with the middleware name and
// names the option at fault with its Traefik key.
func New(ctx context.Context, next http.Handler, config *Config, name string) (http.Handler, error) {
	if name == "" {
		name = "aclgate"
	}
	if next == nil {
		return nil, errors.New(name + ": no next handler")
	}
	if config == nil {
		config = CreateConfig()
	}
	if ctx == nil {
		ctx = context.Background()
	}
	warn := warner(name)
	cfg, err := coreConfig(ctx, config, warn)
	if err != nil {
		return nil, errors.New(name + ": " + err.Error())
	}
	var issuer *token.Issuer
	if config.TokenEndpoint != nil {
		tc, err := tokenConfig(config.TokenEndpoint, warn)
		if err != nil {
			return nil, errors.New(name + ": " + err.Error())
		}
		issuer, err = token.NewIssuer(tc)
		if err != nil {
			return nil, errors.New(name + ": " + traefikMessage(err.Error(), "token: ", "tokenEndpoint: "))
		}
	}
	a, err := core.New(cfg)
	if err != nil {
		return nil, errors.New(name + ": " + traefikMessage(err.Error(), "rule: ", "rules: "))
	}
	if done := ctx.Done(); done != nil {
		go func() {
			<-done
			a.Close()
		}()
	}
	return &handler{next: next, authz: a, tokens: issuer}, nil
}

// ServeHTTP answers the token endpoint's paths, then decides:
// allowed requests go to the next handler with the original writer.
func (h *handler) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	if h.tokens != nil && h.tokens.ServeHTTP(rw, req) {
		return
	}
	d := h.authz.Authorize(req)
	if d.Continue {
		h.next.ServeHTTP(rw, req)
		return
	}
	h.authz.Respond(rw, &d)
}

// warner returns the Warn hook: one line on stderr, which Traefik logs for
// plugins at error level, with Traefik's option names. core never passes
// credentials to it.
func warner(name string) func(string) {
	prefix := "aclgate " + name + ": warning: "
	return func(msg string) {
		os.Stderr.WriteString(prefix + traefikMessage(msg, "token: ", "tokenEndpoint: ") + "\n")
	}
}

// coreConfig converts the Traefik configuration into core's, parsing the
// durations. Everything else is validated by core.New.
func coreConfig(ctx context.Context, c *Config, warn func(string)) (core.Config, error) {
	cfg := core.DefaultConfig()
	var err error
	cfg.Mode = strings.TrimSpace(c.Mode)
	if cfg.Mode == "" {
		cfg.Mode = core.ModeInline
	}
	cfg.Strict = c.Strict
	cfg.UserinfoURL = strings.TrimSpace(c.UserinfoURL)
	cfg.BackofficeUserinfoURL = strings.TrimSpace(c.BackofficeUserinfoURL)
	cfg.HeadersToProxy = c.HeadersToProxy
	cfg.AuthorizationHeadersToProxy = c.AuthorizationHeadersToProxy
	cfg.UserIDKey = c.UserIDKey
	cfg.PermissionsKey = c.PermissionsKey
	cfg.UserPropertiesToProxy = c.UserPropertiesToProxy
	if cfg.UserinfoTimeout, err = duration("userinfoTimeout", c.UserinfoTimeout, core.DefaultUserinfoTimeout); err != nil {
		return cfg, err
	}
	if cfg.CacheTTL, err = duration("cacheTtl", c.CacheTTL, 0); err != nil {
		return cfg, err
	}
	// as in the Caddy module: 0 means the default, negative is an error
	if c.CacheSize < 0 {
		return cfg, errors.New("cacheSize: must be positive, got " + strconv.Itoa(c.CacheSize))
	}
	if c.CacheSize > 0 {
		cfg.CacheSize = c.CacheSize
	}
	cfg.TrustUserHeaders = c.TrustUserHeaders
	cfg.UseridHeader = c.UseridHeader
	cfg.GroupsHeader = c.GroupsHeader
	cfg.UserPropertiesHeader = c.UserPropertiesHeader
	cfg.ClientTypeHeader = c.ClientTypeHeader
	cfg.BackofficeHeader = c.BackofficeHeader
	cfg.Backoffice = strings.TrimSpace(c.Backoffice)
	cfg.ClientType = strings.TrimSpace(c.ClientType)
	for i := 0; i < len(c.APIKeys); i++ {
		k := c.APIKeys[i]
		cfg.APIKeys = append(cfg.APIKeys, core.APIKey{Key: k.Key, KeySHA256: strings.TrimSpace(k.KeySHA256),
			ClientType: strings.TrimSpace(k.ClientType), Name: "apiKeys[" + strconv.Itoa(i) + "]"})
	}
	cfg.Preflight = strings.TrimSpace(c.Preflight)
	cfg.LoginRedirect = strings.TrimSpace(c.LoginRedirect)
	cfg.RulesFile = strings.TrimSpace(c.RulesFile)
	cfg.RulesJSON = c.RulesJSON
	for i := 0; i < len(c.Rules); i++ {
		r := c.Rules[i]
		cfg.Rules = append(cfg.Rules, core.Rule{
			Method:     strings.TrimSpace(r.Method),
			Path:       strings.TrimSpace(r.Path),
			Expression: r.Expression,
			Public:     r.Public,
			Backoffice: r.Backoffice,
		})
	}
	blocks, err := jwtConfigs(c.JWT)
	if err != nil {
		return cfg, err
	}
	if len(blocks) == 1 {
		cfg.JWT = &blocks[0]
	} else {
		cfg.JWTIssuers = blocks
	}
	cfg.IdentityOrder = splitList(c.IdentityOrder)
	cfg.Context = ctx
	cfg.Hooks.Warn = warn
	return cfg, nil
}

// tokenConfig converts the tokenEndpoint block.
func tokenConfig(t *TokenEndpoint, warn func(string)) (token.Config, error) {
	tc := token.DefaultConfig()
	var err error
	tc.Issuer = t.Issuer
	tc.Audience = t.Audience
	if tc.TTL, err = duration("tokenEndpoint.ttl", t.TTL, token.DefaultTTL); err != nil {
		return tc, err
	}
	if err := tokenKeys(&tc, t); err != nil {
		return tc, err
	}
	if t.TokenPath != "" {
		tc.TokenPath = t.TokenPath
	}
	if t.JWKSPath != "" {
		tc.JWKSPath = t.JWKSPath
	}
	if t.TokeninfoPath != "" {
		tc.TokeninfoPath = t.TokeninfoPath
	}
	for i := 0; i < len(t.Clients); i++ {
		c := t.Clients[i]
		tc.Clients = append(tc.Clients, token.Client{
			ID:           c.ID,
			Secret:       c.Secret,
			SecretSHA256: c.SecretSHA256,
			Scopes:       c.Scopes,
			Permissions:  c.Permissions,
			Groups:       c.Groups,
		})
	}
	tc.Warn = warn
	return tc, nil
}

// duration parses a duration option; empty means def. A bare number other
// than 0 is refused rather than guessed (seconds? nanoseconds?).
func duration(key, s string, def time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New(key + ": " + quoteValue(s) + ` is not a duration (use a unit, e.g. "500ms", "30s", "1m")`)
	}
	return d, nil
}

func quoteValue(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// coreOptions are core's option names (the Caddy spelling) that may appear
// in its error messages; the Traefik key is their camelCase form.
var coreOptions = []string{
	"userinfo_url", "backoffice_userinfo_url", "headers_to_proxy", "authorization_headers_to_proxy",
	"user_id_key", "permissions_key", "user_properties_to_proxy", "trust_user_headers",
	"userid_header", "groups_header", "user_properties_header", "client_type_header", "backoffice_header",
	"rules_file", "rules_json", "userinfo_timeout", "cache_ttl", "cache_size",
	"client_type", "login_redirect",
	"jwks_url", "jwks_file", "public_key_file", "hmac_secret", "user_id_claim", "groups_claim", "permissions_claim",
	"signing_key", "key_id", "token_path", "jwks_path", "tokeninfo_path", "secret_sha256",
	"discovery_url", "token_from", "identity_order", "max_failures", "failure_window",
}

// traefikMessage rewrites a core error for Traefik users: a leading
// oldPrefix becomes newPrefix and core's snake_case option names become
// Traefik's camelCase keys (whole words only, so rule paths and
// expressions quoted in the message are left alone).
func traefikMessage(msg, oldPrefix, newPrefix string) string {
	if strings.HasPrefix(msg, oldPrefix) {
		msg = newPrefix + msg[len(oldPrefix):]
	}
	for i := 0; i < len(coreOptions); i++ {
		msg = replaceWord(msg, coreOptions[i], camel(coreOptions[i]))
	}
	return msg
}

// replaceWord replaces the occurrences of word in s that are not part of a
// longer identifier, path or member access.
func replaceWord(s, word, repl string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, word)
		if i < 0 {
			break
		}
		end := i + len(word)
		if (i > 0 && isWordByte(s[i-1], true)) || (end < len(s) && isWordByte(s[end], false)) {
			b.WriteString(s[:end])
		} else {
			b.WriteString(s[:i])
			b.WriteString(repl)
		}
		s = s[end:]
	}
	b.WriteString(s)
	return b.String()
}

func isWordByte(c byte, before bool) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
		return true
	}
	return before && (c == '.' || c == '/' || c == '"' || c == '\'')
}

// camel turns snake_case into camelCase: user_id_key → userIdKey.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if p := parts[i]; p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

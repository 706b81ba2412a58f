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
	next        http.Handler
	authz       *core.Authorizer
	front       bool          // serveFront has paths to answer
	tokens      *token.Issuer // nil when no tokenEndpoint is configured
	metricsPath string        // "" when no metricsPath is configured
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
	cfg.Hooks.Reload = reloadHook(name, warn)
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
	h := &handler{next: next, authz: a, tokens: issuer, metricsPath: strings.TrimSpace(config.MetricsPath)}
	h.front = issuer != nil || h.metricsPath != ""
	return h, nil
}

// ServeHTTP answers the token endpoint's paths, then decides:
// allowed requests go to the next handler with the original writer.
func (h *handler) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	if h.front && serveFront(h, rw, req) {
		return
	}
	var d core.Decision
	core.Decide(h.authz, req, &d)
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
	if l := list(c.HeadersToProxy); len(l) > 0 {
		cfg.HeadersToProxy = l
	}
	cfg.AuthorizationHeadersToProxy = list(c.AuthorizationHeadersToProxy)
	if s := strings.TrimSpace(c.UserIDKey); s != "" {
		cfg.UserIDKey = s
	}
	cfg.PermissionsKey = strings.TrimSpace(c.PermissionsKey)
	cfg.UserPropertiesToProxy = list(c.UserPropertiesToProxy)
	if cfg.UserinfoTimeout, err = duration("userinfoTimeout", c.UserinfoTimeout, core.DefaultUserinfoTimeout); err != nil {
		return cfg, err
	}
	if cfg.UserinfoTimeout <= 0 {
		return cfg, errors.New("userinfoTimeout: " + quoteValue(strings.TrimSpace(c.UserinfoTimeout)) + " must be greater than zero (remove the key for the default, \"1m\")")
	}
	if cfg.CacheTTL, err = duration("cacheTtl", c.CacheTTL, 0); err != nil {
		return cfg, err
	}
	// as in the Caddy module: 0 means the default, negative is an error
	if c.CacheSize < 0 {
		return cfg, errors.New("cacheSize: " + strconv.Itoa(c.CacheSize) + " must not be negative (0 means the default, 10000)")
	}
	if c.CacheSize > 0 {
		cfg.CacheSize = c.CacheSize
	}
	cfg.TrustUserHeaders = c.TrustUserHeaders
	cfg.UseridHeader = strings.TrimSpace(c.UseridHeader)
	cfg.GroupsHeader = strings.TrimSpace(c.GroupsHeader)
	cfg.UserPropertiesHeader = strings.TrimSpace(c.UserPropertiesHeader)
	cfg.ClientTypeHeader = strings.TrimSpace(c.ClientTypeHeader)
	cfg.BackofficeHeader = strings.TrimSpace(c.BackofficeHeader)
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
			Name:       "rules[" + strconv.Itoa(i) + "]",
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
	if err = opsConfig(c, &cfg); err != nil {
		return cfg, err
	}
	cfg.Context = ctx
	cfg.Hooks.Warn = warn
	return cfg, nil
}

// tokenConfig converts the tokenEndpoint block.
func tokenConfig(t *TokenEndpoint, warn func(string)) (token.Config, error) {
	tc := token.DefaultConfig()
	var err error
	tc.Issuer = strings.TrimSpace(t.Issuer)
	tc.Audience = list(t.Audience)
	if tc.TTL, err = duration("tokenEndpoint.ttl", t.TTL, token.DefaultTTL); err != nil {
		return tc, err
	}
	if err := tokenKeys(&tc, t); err != nil {
		return tc, err
	}
	if s := strings.TrimSpace(t.TokenPath); s != "" {
		tc.TokenPath = s
	}
	if s := strings.TrimSpace(t.JWKSPath); s != "" {
		tc.JWKSPath = s
	}
	if s := strings.TrimSpace(t.TokeninfoPath); s != "" {
		tc.TokeninfoPath = s
	}
	for i := 0; i < len(t.Clients); i++ {
		c := t.Clients[i]
		tc.Clients = append(tc.Clients, token.Client{
			ID:           strings.TrimSpace(c.ID),
			Secret:       c.Secret,
			SecretSHA256: strings.TrimSpace(c.SecretSHA256),
			Scopes:       list(c.Scopes),
			Permissions:  list(c.Permissions),
			Groups:       list(c.Groups),
		})
	}
	tc.Warn = warn
	return tc, nil
}

// list trims the items of a list option, splits items that hold several
// comma-separated values (labels, and YAML strings such as "a, b") and
// drops empty ones.
func list(in []string) []string {
	var out []string
	for i := 0; i < len(in); i++ {
		parts := strings.Split(in[i], ",")
		for j := 0; j < len(parts); j++ {
			if s := strings.TrimSpace(parts[j]); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
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
	"client_type", "login_redirect", "rules_reload", "shadow_rules_file",
	"jwks_url", "jwks_file", "public_key_file", "hmac_secret", "user_id_claim", "groups_claim", "permissions_claim", "token_cache_size",
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

package core

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Modes of operation.
const (
	// ModeInline decides on the request itself and lets it continue upstream.
	ModeInline = "inline"
	// ModeDecision answers like Mia's /auth endpoint and never calls the next handler.
	ModeDecision = "decision"
)

// Values of the Backoffice option: where the backoffice flag of a request
// comes from.
const (
	// BackofficeFalse: every request is a frontend request (inline default).
	BackofficeFalse = "false"
	// BackofficeTrue: this instance is the backoffice entry point; every
	// request is a backoffice request.
	BackofficeTrue = "true"
	// BackofficeFromHeader: the request is a backoffice request when the
	// backoffice header says 1 or true (decision-mode default; inline only
	// behind a trusted edge that sets it).
	BackofficeFromHeader = "header"
)

// Values of the ClientType option: where clientType comes from.
const (
	// ClientTypeAPIKey resolves the client type from the request's API key
	// (inline default).
	ClientTypeAPIKey = "api_key"
	// ClientTypeFromHeader reads the client-type header (decision-mode
	// default; inline only behind a trusted edge that sets it).
	ClientTypeFromHeader = "header"
)

// Values of the Preflight option.
const (
	// PreflightDecide decides a CORS preflight like any other request.
	PreflightDecide = "decide"
	// PreflightPass lets a CORS preflight through without identity or rules.
	PreflightPass = "pass"
)

// Defaults of the configuration options.
const (
	DefaultUserIDKey            = "sub"
	DefaultUseridHeader         = "miauserid"
	DefaultGroupsHeader         = "miausergroups"
	DefaultUserPropertiesHeader = "miauserproperties"
	DefaultClientTypeHeader     = "client-type"
	DefaultBackofficeHeader     = "isbackoffice"
	DefaultUserinfoTimeout      = time.Minute
	DefaultCacheSize            = 10000
	DefaultJWTLeeway            = 30 * time.Second
)

// Config is the whole option set of one middleware instance. Start from
// [DefaultConfig] and override what the user configured; zero values are
// taken literally (a zero CacheTTL disables the cache).
type Config struct {
	// Mode is ModeInline (default when empty) or ModeDecision.
	Mode string
	// Strict makes a denial by the rules answer 401 or 403; when false the
	// request gets 200 with mia-allowed 0.
	Strict bool

	// UserinfoURL enables the userinfo identity source.
	UserinfoURL string
	// BackofficeUserinfoURL replaces UserinfoURL for backoffice requests.
	BackofficeUserinfoURL string
	// HeadersToProxy are copied from the request to the userinfo call.
	HeadersToProxy []string
	// AuthorizationHeadersToProxy, when set, short-circuits the call when the
	// request carries none of them.
	AuthorizationHeadersToProxy []string
	// UserIDKey is the userinfo field that holds the user id.
	UserIDKey string
	// PermissionsKey is the userinfo (or trusted properties) field that holds
	// the permissions.
	PermissionsKey string
	// UserPropertiesToProxy names the user fields sent in the properties header.
	UserPropertiesToProxy []string
	// UserinfoTimeout bounds the userinfo call.
	UserinfoTimeout time.Duration
	// CacheTTL > 0 caches userinfo answers (users and 401/403).
	CacheTTL time.Duration
	// CacheSize bounds the number of cached answers.
	CacheSize int

	// TrustUserHeaders enables the trusted-headers identity source.
	TrustUserHeaders bool
	// UseridHeader, GroupsHeader and UserPropertiesHeader name the identity
	// headers, read in trust mode and emitted upstream.
	UseridHeader         string
	GroupsHeader         string
	UserPropertiesHeader string
	// ClientTypeHeader feeds clientType in expressions.
	ClientTypeHeader string
	// BackofficeHeader marks backoffice requests (Backoffice "header") and
	// is set upstream with Backoffice "true".
	BackofficeHeader string

	// Backoffice is BackofficeFalse, BackofficeTrue or BackofficeFromHeader;
	// empty means the mode's default (false inline, header in decision mode).
	Backoffice string
	// ClientType is ClientTypeAPIKey or ClientTypeFromHeader; empty means
	// api_key inline or when APIKeys are configured, header otherwise in
	// decision mode.
	ClientType string
	// APIKeys map API keys to client types (ClientType "api_key").
	APIKeys []APIKey
	// Preflight is PreflightDecide (default when empty) or PreflightPass.
	Preflight string
	// LoginRedirect, when set, answers 302 to this URL instead of 401 to a
	// browser navigation; {uri} in it expands to the query-escaped original
	// request URI.
	LoginRedirect string

	// RulesFile is the path of a Mia auth.json file.
	RulesFile string
	// RulesJSON is the same document given inline.
	RulesJSON string
	// Rules are inline rules added to those of the file.
	Rules []Rule

	// JWT enables local JWT verification when non-nil.
	JWT *JWTConfig
	// JWTIssuers are further jwt blocks, one per issuer (after JWT when
	// both are set): the token's iss chooses the block. With more than one
	// block each needs a distinct Issuer.
	JWTIssuers []JWTConfig
	// IdentityOrder lists the identity sources to try in order ("jwt",
	// "userinfo"): the first that finds a credential decides. It allows
	// both jwt and userinfo_url on one instance.
	IdentityOrder []string

	// Operations (core/reload.go, core/shadow.go, core/observe.go).
	Ops OpsConfig

	// Context, when set, bounds background work (JWKS refresh); Close stops it too.
	Context context.Context
	// HTTPClient, when set, is used for userinfo and JWKS calls; otherwise
	// one is built from UserinfoTimeout.
	HTTPClient *http.Client
	// Hooks lets the adapter observe events (logging, metrics). Optional.
	Hooks Hooks
}

// Rule is one inline rule (Caddyfile `rule`, Traefik `rules`).
type Rule struct {
	Method     string
	Path       string
	Expression string
	Public     bool
	// Backoffice puts the rule into backofficeAuthorization.
	Backoffice bool
	// Name, when set, is how configuration errors name this rule (an
	// adapter's own spelling, such as "rules[2]"); by default "rule[N]",
	// counting from 0.
	Name string
}

// APIKey is one API key and the client type it grants. Exactly one of Key
// and KeySHA256 is set.
type APIKey struct {
	// Key is the key itself, as clients send it.
	Key string
	// KeySHA256 is the hex SHA-256 of the key, for configurations that
	// must not hold the key.
	KeySHA256 string
	// ClientType is the clientType a request with this key gets.
	ClientType string
	// Name, when set, is how configuration errors name this entry (an
	// adapter's own spelling, such as "apiKeys[2]"); by default
	// "api_key entry N" or "api_key_sha256 entry N".
	Name string
}

// JWTConfig configures local JWT verification.
type JWTConfig struct {
	// DiscoveryURL is an OpenID configuration whose jwks_uri is the key
	// source; its issuer must equal Issuer (empty: the URL without
	// /.well-known/openid-configuration).
	DiscoveryURL string
	// TokenFrom lists where the token is looked for, in order:
	// "header:<Name>", "cookie:<name>", "query:<name>" (default
	// header:Authorization, Bearer scheme). Every block names the same.
	TokenFrom []string
	// Name, when set, is how configuration errors name this block (an
	// adapter's own spelling, such as "jwt[1]"); by default "jwt" for a
	// single block and "jwt block N" for several.
	Name string

	JWKSURL          string
	JWKSFile         string
	PublicKeyFile    string
	HMACSecret       string
	Issuer           string
	Audience         []string
	Algorithms       []string
	Leeway           time.Duration
	UserIDClaim      string
	GroupsClaim      string
	PermissionsClaim string
	// TokenCacheSize bounds the verified-token cache (0: the default,
	// DefaultTokenCacheSize). A token that verified is not verified again
	// until its exp (or for a minute at most).
	TokenCacheSize int
}

// Hooks are optional callbacks from the engine to the adapter. They must be
// safe for concurrent use and never receive credentials.
type Hooks struct {
	// Warn reports a problem worth a warning log line (e.g. userinfo 5xx)
	// as one line of text: the message, then the fields as key=value.
	Warn func(msg string)
	// WarnFields, when set, replaces Warn for structured loggers: the
	// message and its fields as key, value, key, value… (for instance
	// "url", "http://auth/userinfo", "status", "503 Service Unavailable").
	WarnFields func(msg string, fields []string)
	// UserinfoDone reports one userinfo call: its duration and outcome
	// ("user", "anonymous", "error").
	UserinfoDone func(d time.Duration, outcome string)
	// Shadow reports a request on which the shadow rules disagree with
	// the live ones; without it the disagreement goes to Warn.
	Shadow func(s ShadowDisagreement)
	// Reload reports a hot reload of a rules file: err nil when the new
	// rules are live, else why the previous ones stay (without it, to Warn).
	Reload func(file string, err error)
}

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{
		Mode:                 ModeInline,
		Strict:               true,
		HeadersToProxy:       []string{"authorization", "cookie"},
		UserIDKey:            DefaultUserIDKey,
		UserinfoTimeout:      DefaultUserinfoTimeout,
		CacheSize:            DefaultCacheSize,
		UseridHeader:         DefaultUseridHeader,
		GroupsHeader:         DefaultGroupsHeader,
		UserPropertiesHeader: DefaultUserPropertiesHeader,
		ClientTypeHeader:     DefaultClientTypeHeader,
		BackofficeHeader:     DefaultBackofficeHeader,
	}
}

// DefaultJWTConfig returns the default JWT configuration.
func DefaultJWTConfig() JWTConfig {
	return JWTConfig{
		Leeway:           DefaultJWTLeeway,
		UserIDClaim:      "sub",
		GroupsClaim:      "groups",
		PermissionsClaim: "permissions",
	}
}

// quote writes s as a JSON string, for messages that name a value.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

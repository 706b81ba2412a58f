package traefikauthz

import "github.com/aclgate/aclgate/core"

// Config is the plugin's dynamic configuration: the options of the Caddy
// module, with Traefik's camelCase key names. Traefik decodes it with mapstructure,
// which matches keys case-insensitively, so the Go field names are the key
// names (userinfoUrl → UserinfoURL) and no tags are needed.
//
// Only strings, bools, ints, string lists, nested structs, lists of structs
// and pointers to structs are used: that is what Traefik's decoder fills
// reliably from the file provider (every scalar a string), labels (lists as
// "a,b") and Kubernetes CRDs (JSON types). Durations are strings such as
// "30s" or "1m", parsed by New.
type Config struct {
	// Mode is "inline" (default) or "decision" (a drop-in for Mia's /auth
	// endpoint behind forwardAuth).
	Mode string
	// Strict selects the strict column of the decision table (default true).
	Strict bool

	// UserinfoURL enables the userinfo identity source.
	UserinfoURL string
	// BackofficeUserinfoURL is called instead for backoffice requests.
	BackofficeUserinfoURL string
	// HeadersToProxy are copied to the userinfo call (default
	// authorization, cookie).
	HeadersToProxy []string
	// AuthorizationHeadersToProxy: when set and the request carries none of
	// them, no userinfo call is made.
	AuthorizationHeadersToProxy []string
	// UserIDKey is the userinfo field holding the user id (default sub).
	UserIDKey string
	// PermissionsKey is the field holding the permissions (none when empty).
	PermissionsKey string
	// UserPropertiesToProxy names the user fields sent upstream.
	UserPropertiesToProxy []string
	// UserinfoTimeout bounds the userinfo call (default "1m").
	UserinfoTimeout string
	// CacheTTL > 0 caches userinfo answers (default "0s": off).
	CacheTTL string
	// CacheSize bounds the cache (default 10000).
	CacheSize int

	// TrustUserHeaders reads the user from trusted headers (only behind a
	// trusted edge).
	TrustUserHeaders bool
	// Header names (defaults miauserid, miausergroups, miauserproperties,
	// client-type, isbackoffice).
	UseridHeader         string
	GroupsHeader         string
	UserPropertiesHeader string
	ClientTypeHeader     string
	BackofficeHeader     string

	// Backoffice is "false" (default inline: frontend entry point), "true"
	// (the backoffice entry point) or "header" (read backofficeHeader;
	// default in decision mode, inline only behind a trusted edge).
	Backoffice string
	// ClientType is "api_key" (default inline: clientType from apiKeys) or
	// "header" (read clientTypeHeader; default in decision mode).
	ClientType string
	// APIKeys map API keys (client-key header, secret header or client_key
	// cookie) to client types; an unknown key is answered 401.
	APIKeys []APIKey
	// Preflight is "decide" (default) or "pass" (CORS preflights go to the
	// next handler without identity or rules).
	Preflight string
	// LoginRedirect answers 302 to this URL instead of 401 to browser
	// navigations; {uri} is the query-escaped original request URI.
	LoginRedirect string

	// RulesFile is the path of a Mia auth.json (relative to Traefik's
	// working directory).
	RulesFile string
	// RulesJSON is the same document inline.
	RulesJSON string
	// Rules are inline rules, added to those of the file and the JSON.
	Rules []Rule

	// RulesReload re-reads rulesFile and shadowRulesFile every interval
	// (a duration such as "5s", at least "100ms"; default off) and swaps
	// in their rules when the content changed and loads; a file that does
	// not load keeps the previous rules and is logged.
	RulesReload string
	// ShadowRulesFile is a candidate rules file decided beside the live
	// rules on every request without changing the outcome; disagreements
	// are counted and logged.
	ShadowRulesFile string
	// MetricsPath (e.g. "/.aclgate/metrics") is answered by the plugin with
	// its counters in the Prometheus text format.
	MetricsPath string
	// DecisionLog writes one JSON line per decision to stdout.
	DecisionLog bool

	// JWT enables local JWT verification: one object, or a list with one
	// block per issuer (Traefik's decoder turns a single object into a list
	// of one).
	JWT []JWT
	// IdentityOrder lists the identity sources to try in order ("jwt",
	// "userinfo") when both are configured.
	IdentityOrder []string
	// TokenEndpoint serves the client-credentials token endpoint, the JWKS
	// and tokeninfo in front of the authorization.
	TokenEndpoint *TokenEndpoint
}

// Rule is one inline rule.
type Rule struct {
	// Method is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ALL.
	Method string
	// Path is a rule key of the Mia format ("/users/:id", "/public/").
	Path string
	// Expression is the ACL expression.
	Expression string
	// Public lets anonymous callers through when Expression holds.
	Public bool
	// Backoffice puts the rule into backofficeAuthorization.
	Backoffice bool
}

// APIKey is one entry of apiKeys: key or keySha256 (hex), and clientType.
type APIKey struct {
	Key        string
	KeySHA256  string
	ClientType string
}

// JWT configures local JWT verification; exactly one key source among
// JWKSURL, DiscoveryURL, JWKSFile, PublicKeyFile and HMACSecret.
type JWT struct {
	JWKSURL string
	// DiscoveryURL is the issuer's OpenID configuration; its jwks_uri is
	// the key source.
	DiscoveryURL  string
	JWKSFile      string
	PublicKeyFile string
	HMACSecret    string
	Issuer        string
	Audience      []string
	Algorithms    []string
	// Leeway is the clock skew allowed (default "30s").
	Leeway           string
	UserIDClaim      string
	GroupsClaim      string
	PermissionsClaim string
	// TokenCacheSize bounds the verified-token cache (default 10000).
	TokenCacheSize int
	// TokenFrom lists where the token is looked for, in order:
	// header:<Name>, cookie:<name>, query:<name>.
	TokenFrom []string
}

// TokenEndpoint configures the client-credentials token endpoint.
type TokenEndpoint struct {
	Issuer   string
	Audience []string
	// TTL is the token lifetime (default "1h").
	TTL string
	// SigningKey is a PEM private key file, or several comma-separated:
	// the first signs, all are published (key rotation). SigningKeys adds
	// more as a YAML list.
	SigningKey  string
	SigningKeys []string
	// KeyID and KeyIDs are the kids of the signing keys, by position.
	KeyID  string
	KeyIDs []string
	// MaxFailures failed client authentications per client id or address
	// within FailureWindow (default "1m") are answered 429 until the
	// window ends (default 10; -1: no limit).
	MaxFailures   int
	FailureWindow string
	TokenPath     string
	JWKSPath      string
	TokeninfoPath string
	Clients       []TokenClient
}

// TokenClient is one registered client; exactly one of Secret and
// SecretSHA256.
type TokenClient struct {
	ID           string
	Secret       string
	SecretSHA256 string
	Scopes       []string
	Permissions  []string
	Groups       []string
}

// CreateConfig returns the defaults; Traefik decodes the dynamic
// configuration over them.
func CreateConfig() *Config {
	return &Config{
		Mode:                 core.ModeInline,
		Strict:               true,
		HeadersToProxy:       []string{"authorization", "cookie"},
		UserIDKey:            core.DefaultUserIDKey,
		UserinfoTimeout:      "1m",
		CacheTTL:             "0s",
		CacheSize:            core.DefaultCacheSize,
		UseridHeader:         core.DefaultUseridHeader,
		GroupsHeader:         core.DefaultGroupsHeader,
		UserPropertiesHeader: core.DefaultUserPropertiesHeader,
		ClientTypeHeader:     core.DefaultClientTypeHeader,
		BackofficeHeader:     core.DefaultBackofficeHeader,
	}
}

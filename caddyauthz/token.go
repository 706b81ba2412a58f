package caddyauthz

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/aclgate/aclgate/core/token"
)

func init() {
	caddy.RegisterModule(Token{})
	httpcaddyfile.RegisterHandlerDirective("authz_token", parseTokenCaddyfile)
	// Before basic_auth, and so before authz (ordered after basic_auth):
	// the token endpoint, its JWKS and tokeninfo are never subject to the
	// rules, and a jwks_url pointing at this same Caddy works.
	httpcaddyfile.RegisterDirectiveOrder("authz_token", httpcaddyfile.Before, "basic_auth")
}

// Token is the http.handlers.authz_token handler: the OAuth 2.0
// client-credentials token endpoint (RFC 6749 §4.4) that issues JWT access
// tokens (RFC 9068) to the configured clients, the JWKS that verifies them,
// and a tokeninfo endpoint that answers a bearer token's claims (so that
// authz can also use it as its userinfo_url).
//
// It answers POST token_path, GET jwks_path and GET tokeninfo_path; every
// other request goes to the next handler. The authz_token directive is
// ordered before authz, so these paths are never subject to the rules.
//
// Without signing_key an ephemeral Ed25519 key is made whenever the
// configuration loads (a warning is logged): tokens stop verifying after a
// reload or restart. Configure signing_key in production.
type Token struct {
	// Issuer is the iss claim of the tokens (and what tokeninfo requires).
	Issuer string `json:"issuer,omitempty"`
	// Audience is the aud claim of the tokens; omitted when empty.
	Audience []string `json:"audience,omitempty"`
	// TTL is the token lifetime, whole seconds (default 1h).
	TTL caddy.Duration `json:"ttl,omitempty"`
	// SigningKey is the path of a PEM private key (Ed25519, ECDSA P-256 or
	// RSA of at least 2048 bits), or a list of them: the first signs, all
	// are published in the JWKS (key rotation). Default: an ephemeral
	// Ed25519 key.
	SigningKey StringList `json:"signing_key,omitempty"`
	// KeyID is the kid of each signing key, by position (default: the
	// key's RFC 7638 thumbprint).
	KeyID StringList `json:"key_id,omitempty"`
	// MaxFailures is how many failed client authentications a client id
	// or a client address may make within failure_window before it gets
	// 429 until the window ends (default 10; -1: no limit).
	MaxFailures int `json:"max_failures,omitempty"`
	// FailureWindow is the window of max_failures (default 1m).
	FailureWindow caddy.Duration `json:"failure_window,omitempty"`
	// TokenPath is the token endpoint (default /oauth/token).
	TokenPath string `json:"token_path,omitempty"`
	// JWKSPath serves the public key set (default /.well-known/jwks.json).
	JWKSPath string `json:"jwks_path,omitempty"`
	// TokeninfoPath answers a bearer token's claims (default /tokeninfo).
	TokeninfoPath string `json:"tokeninfo_path,omitempty"`
	// Clients are the registered clients; at least one.
	Clients []TokenClient `json:"client,omitempty"`

	issuer *token.Issuer
}

// TokenClient is one registered client of authz_token, the Caddyfile's
// `client <id> { … }`.
type TokenClient struct {
	// ID is the client_id, also the sub and client_id claims.
	ID string `json:"id"`
	// Secret is the client secret in plain text. Exactly one of secret and
	// secret_sha256.
	Secret string `json:"secret,omitempty"`
	// SecretSHA256 is the hex SHA-256 digest of the client secret.
	SecretSHA256 string `json:"secret_sha256,omitempty"`
	// Scopes the client may request; all of them are granted when it asks
	// for none.
	Scopes []string `json:"scopes,omitempty"`
	// Permissions go into the token's permissions claim.
	Permissions []string `json:"permissions,omitempty"`
	// Groups go into the token's groups claim.
	Groups []string `json:"groups,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Token) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.authz_token",
		New: func() caddy.Module { return new(Token) },
	}
}

// Provision expands global placeholders, validates the configuration and
// loads the signing key.
func (t *Token) Provision(ctx caddy.Context) error {
	logger := ctx.Logger()
	repl := caddy.NewReplacer()
	ex := newExpander(repl)
	str := ex.str
	cfg := token.DefaultConfig()
	cfg.Issuer = str("token: issuer", t.Issuer)
	cfg.Audience = ex.list("token: audience", t.Audience)
	if t.TTL < 0 {
		return fmt.Errorf("token: ttl must not be negative, got %s", time.Duration(t.TTL))
	}
	if t.TTL != 0 {
		cfg.TTL = time.Duration(t.TTL)
	}
	for _, k := range t.SigningKey {
		cfg.SigningKeys = append(cfg.SigningKeys, str("token: signing_key", k))
	}
	for _, k := range t.KeyID {
		cfg.KeyIDs = append(cfg.KeyIDs, str("token: key_id", k))
	}
	if t.FailureWindow < 0 {
		return fmt.Errorf("token: failure_window must not be negative, got %s", time.Duration(t.FailureWindow))
	}
	cfg.MaxFailures = t.MaxFailures
	cfg.FailureWindow = time.Duration(t.FailureWindow)
	// the client address as Caddy resolves it: the connection's peer, or
	// X-Forwarded-For only from the server's trusted_proxies
	cfg.ClientAddr = clientIP
	set := func(dst *string, v string) {
		if s := repl.ReplaceKnown(v, ""); s != "" {
			*dst = s
		}
	}
	set(&cfg.TokenPath, t.TokenPath)
	set(&cfg.JWKSPath, t.JWKSPath)
	set(&cfg.TokeninfoPath, t.TokeninfoPath)
	for i, c := range t.Clients {
		name := fmt.Sprintf("token: client[%d]", i)
		cfg.Clients = append(cfg.Clients, token.Client{
			ID:           str(name+".id", c.ID),
			Secret:       str(name+".secret", c.Secret),
			SecretSHA256: str(name+".secret_sha256", c.SecretSHA256),
			Scopes:       ex.list(name+".scopes", c.Scopes),
			Permissions:  ex.list(name+".permissions", c.Permissions),
			Groups:       ex.list(name+".groups", c.Groups),
		})
	}
	if ex.err != nil {
		return ex.err
	}
	cfg.Warn = func(msg string) { logger.Warn(msg) }
	issuer, err := token.NewIssuer(cfg)
	if err != nil {
		return err
	}
	t.issuer = issuer
	return nil
}

// Validate checks that Provision built the issuer; every option was
// validated there.
func (t *Token) Validate() error {
	if t.issuer == nil {
		return errors.New("authz_token: not provisioned")
	}
	return nil
}

// ServeHTTP answers the token, JWKS and tokeninfo paths and passes every
// other request to next.
func (t *Token) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if t.issuer.ServeHTTP(w, r) {
		return nil
	}
	return next.ServeHTTP(w, r)
}

// parseTokenCaddyfile sets up the authz_token handler from Caddyfile tokens.
func parseTokenCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	t := new(Token)
	err := t.UnmarshalCaddyfile(h.Dispenser)
	return t, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	authz_token [<matcher>] {
//	    issuer         <iss>
//	    audience       <aud...>
//	    ttl            <duration>
//	    signing_key    <pem file...>
//	    key_id         <kid...>
//	    max_failures   <n>
//	    failure_window <duration>
//	    token_path     <path>
//	    jwks_path      <path>
//	    tokeninfo_path <path>
//	    client <id> {
//	        secret        <secret>
//	        secret_sha256 <hex digest>
//	        scopes        <scope...>
//	        permissions   <permission...>
//	        groups        <group...>
//	    }
//	}
//
// client may be repeated (one per client id); signing_key, key_id,
// audience, scopes, permissions and groups may be repeated and accumulate
// (the first signing_key signs, every one is published: key rotation; the
// N-th key_id names the N-th signing_key); every other subdirective may be
// given once. Values may hold global placeholders such as
// {env.CLIENT_SECRET}, expanded when the configuration loads.
func (t *Token) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.Errf("authz_token takes no arguments besides a matcher, got %q: put the options in a block", d.Val())
	}
	seen := map[string]bool{}
	clients := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		if err := once(d, seen, "", name); err != nil {
			return err
		}
		var err error
		switch name {
		case "issuer":
			err = oneArg(d, &t.Issuer)
		case "audience":
			err = listArgs(d, &t.Audience)
		case "ttl":
			err = durationArg(d, &t.TTL)
			if err == nil && t.TTL != 0 && time.Duration(t.TTL) < time.Second {
				err = d.Errf("ttl: must be at least 1s, got %s", time.Duration(t.TTL))
			}
		case "signing_key":
			err = listArgs(d, (*[]string)(&t.SigningKey))
		case "key_id":
			err = listArgs(d, (*[]string)(&t.KeyID))
		case "max_failures":
			var v string
			if err = oneArg(d, &v); err == nil {
				n, perr := strconv.Atoi(v)
				if perr != nil || n < -1 || n == 0 {
					err = d.Errf("max_failures: %q is not a positive integer (or -1: no limit)", v)
				}
				t.MaxFailures = n
			}
		case "failure_window":
			err = durationArg(d, &t.FailureWindow)
		case "token_path":
			err = oneArg(d, &t.TokenPath)
		case "jwks_path":
			err = oneArg(d, &t.JWKSPath)
		case "tokeninfo_path":
			err = oneArg(d, &t.TokeninfoPath)
		case "client":
			var c TokenClient
			c, err = parseTokenClient(d)
			if err == nil {
				if clients[c.ID] {
					err = d.Errf("client %q already specified", c.ID)
				}
				clients[c.ID] = true
				t.Clients = append(t.Clients, c)
			}
		default:
			err = d.Errf("unrecognized subdirective %q", name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parseTokenClient parses `client <id> { … }`.
func parseTokenClient(d *caddyfile.Dispenser) (TokenClient, error) {
	var c TokenClient
	args := d.RemainingArgs()
	if len(args) != 1 || args[0] == "" {
		return c, d.Errf("client: want exactly one argument, the client id, got %d", len(args))
	}
	c.ID = args[0]
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		if err := once(d, seen, fmt.Sprintf("client %q: ", c.ID), name); err != nil {
			return c, err
		}
		var err error
		switch name {
		case "secret":
			err = oneArg(d, &c.Secret)
		case "secret_sha256":
			err = oneArg(d, &c.SecretSHA256)
		case "scopes":
			err = listArgs(d, &c.Scopes)
		case "permissions":
			err = listArgs(d, &c.Permissions)
		case "groups":
			err = listArgs(d, &c.Groups)
		default:
			err = d.Errf("client %q: unrecognized subdirective %q", c.ID, name)
		}
		if err != nil {
			return c, err
		}
	}
	if (c.Secret == "") == (c.SecretSHA256 == "") {
		return c, d.Errf("client %q: set exactly one of secret and secret_sha256", c.ID)
	}
	return c, nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Token)(nil)
	_ caddy.Validator             = (*Token)(nil)
	_ caddyhttp.MiddlewareHandler = (*Token)(nil)
	_ caddyfile.Unmarshaler       = (*Token)(nil)
)

// clientIP is the address the token endpoint counts failed
// authentications under: Caddy's client_ip (the peer, or the
// X-Forwarded-For address when the peer is one of the server's
// trusted_proxies), else the host of RemoteAddr.
func clientIP(r *http.Request) string {
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok && ip != "" {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

package caddyauthz

import (
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/aclgate/aclgate/core"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("authz", parseCaddyfile)
	// After basic_auth: authz sees the request after redir, rewrite, uri,
	// try_files and basic_auth, and before forward_auth, request_header,
	// encode, templates, handle/route, respond and reverse_proxy.
	httpcaddyfile.RegisterDirectiveOrder("authz", httpcaddyfile.After, "basic_auth")
}

// parseCaddyfile sets up the authz handler from Caddyfile tokens.
func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	a := new(Authz)
	err := a.UnmarshalCaddyfile(h.Dispenser)
	return a, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	authz [<matcher>] {
//	    mode                           inline|decision
//	    strict                         [true|false]
//	    userinfo_url                   <url>
//	    backoffice_userinfo_url        <url>
//	    headers_to_proxy               <header...>
//	    authorization_headers_to_proxy <header...>
//	    user_id_key                    <field>
//	    permissions_key                <field>
//	    user_properties_to_proxy       <field...>
//	    userinfo_timeout               <duration>
//	    cache_ttl                      <duration>
//	    cache_size                     <n>
//	    trust_user_headers             [true|false]
//	    userid_header                  <name>
//	    groups_header                  <name>
//	    user_properties_header         <name>
//	    client_type_header             <name>
//	    backoffice_header              <name>
//	    backoffice                     false|true|header
//	    client_type                    api_key|header
//	    api_key                        <key> <client type>
//	    api_key_sha256                 <hex sha-256> <client type>
//	    preflight                      decide|pass
//	    login_redirect                 <url with {uri}>
//	    rules_file                     <path>
//	    rules_json                     <json>
//	    rule <METHOD|ALL> <path> <expression> [public] [backoffice]
//	    rules_reload                   <duration>
//	    shadow_rules_file              <path>
//	    metrics_path                   <path>
//	    decision_log                   [true|false]
//	    identity_order                 jwt userinfo | userinfo jwt
//	    jwt {
//	        jwks_url          <url>
//	        discovery_url     <url of .well-known/openid-configuration>
//	        jwks_file         <path>
//	        public_key_file   <path>
//	        hmac_secret       <secret>
//	        issuer            <iss>
//	        audience          <aud...>
//	        algorithms        <alg...>
//	        leeway            <duration>
//	        user_id_claim     <claim>
//	        groups_claim      <claim>
//	        permissions_claim <claim>
//	        token_cache_size  <n>
//	        token_from        header:<Name>|cookie:<name>|query:<name>...
//	    }
//	}
//
// jwt may be repeated, one block per issuer (each with its issuer; the
// token's iss chooses the block).
//
// Every subdirective is optional; with none, every request is anonymous and
// no route is found. `rule`, `api_key` and `api_key_sha256` may be repeated; list subdirectives (…_to_proxy,
// audience, algorithms) may be repeated and their arguments accumulate; any
// other subdirective may be given once. An expression containing spaces must
// be one token: quote it with backticks, `groups.admin || permissions["a:b"]`,
// or with double quotes and \" escapes. Values may hold global placeholders
// such as {env.USERINFO_URL}, expanded when the configuration loads, and
// parse-time {$ENV} variables; booleans, numbers and durations take only
// {$ENV}.
func (a *Authz) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.Errf("authz takes no arguments besides a matcher, got %q: put the options in a block", d.Val())
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		if err := once(d, seen, "", name); err != nil {
			return err
		}
		var err error
		switch name {
		case "mode":
			err = oneArg(d, &a.Mode)
			if err == nil && a.Mode != core.ModeInline && a.Mode != core.ModeDecision && !isSinglePlaceholder(a.Mode) {
				err = d.Errf("mode: %q is not inline or decision", a.Mode)
			}
		case "strict":
			var b bool
			b, err = optionalBool(d)
			a.Strict = &b
		case "userinfo_url":
			err = oneArg(d, &a.UserinfoURL)
		case "backoffice_userinfo_url":
			err = oneArg(d, &a.BackofficeUserinfoURL)
		case "headers_to_proxy":
			err = listArgs(d, &a.HeadersToProxy)
		case "authorization_headers_to_proxy":
			err = listArgs(d, &a.AuthorizationHeadersToProxy)
		case "user_id_key":
			err = oneArg(d, &a.UserIDKey)
		case "permissions_key":
			err = oneArg(d, &a.PermissionsKey)
		case "user_properties_to_proxy":
			err = listArgs(d, &a.UserPropertiesToProxy)
		case "userinfo_timeout":
			if err = durationArg(d, &a.UserinfoTimeout); err == nil && a.UserinfoTimeout == 0 {
				err = d.Errf("userinfo_timeout: %q must be greater than zero (remove the option for the default, 1m)", d.Val())
			}
		case "cache_ttl":
			err = durationArg(d, &a.CacheTTL)
		case "cache_size":
			var s string
			if err = oneArg(d, &s); err == nil {
				n, perr := strconv.Atoi(s)
				if perr != nil || n < 0 {
					err = d.Errf("cache_size: %q is not a positive integer (0 means the default, 10000)", s)
				}
				a.CacheSize = n
			}
		case "trust_user_headers":
			a.TrustUserHeaders, err = optionalBool(d)
		case "userid_header":
			err = oneArg(d, &a.UseridHeader)
		case "groups_header":
			err = oneArg(d, &a.GroupsHeader)
		case "user_properties_header":
			err = oneArg(d, &a.UserPropertiesHeader)
		case "client_type_header":
			err = oneArg(d, &a.ClientTypeHeader)
		case "backoffice_header":
			err = oneArg(d, &a.BackofficeHeader)
		case "backoffice":
			err = enumArg(d, &a.Backoffice, core.BackofficeFalse, core.BackofficeTrue, core.BackofficeFromHeader)
		case "client_type":
			err = enumArg(d, &a.ClientType, core.ClientTypeAPIKey, core.ClientTypeFromHeader)
		case "api_key":
			var k APIKey
			if err = twoArgs(d, &k.Key, &k.ClientType); err == nil {
				a.APIKeys = append(a.APIKeys, k)
			}
		case "api_key_sha256":
			var k APIKey
			if err = twoArgs(d, &k.KeySHA256, &k.ClientType); err == nil {
				a.APIKeysSHA256 = append(a.APIKeysSHA256, k)
			}
		case "preflight":
			err = enumArg(d, &a.Preflight, core.PreflightDecide, core.PreflightPass)
		case "login_redirect":
			err = oneArg(d, &a.LoginRedirect)
		case "rules_file":
			err = oneArg(d, &a.RulesFile)
		case "rules_json":
			err = oneArg(d, &a.RulesJSON)
		case "rule":
			err = a.parseRule(d)
		case "jwt":
			var j JWT
			if err = j.unmarshalCaddyfile(d); err == nil {
				a.JWT = append(a.JWT, j)
			}
		case "identity_order":
			err = listArgs(d, &a.IdentityOrder)
		default:
			var ok bool
			if ok, err = a.OpsOptions.unmarshalCaddyfile(d, name); !ok {
				err = d.Errf("unrecognized subdirective %q", name)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// once rejects a second use of a subdirective that may be given only once;
// seen holds the names used so far in the current block.
func once(d *caddyfile.Dispenser, seen map[string]bool, prefix, name string) error {
	if repeatable[name] {
		return nil
	}
	if seen[name] {
		return d.Errf("%s%s already specified", prefix, name)
	}
	seen[name] = true
	return nil
}

// repeatable are the subdirectives that may be given more than once.
var repeatable = map[string]bool{
	"rule":                           true,
	"api_key":                        true,
	"api_key_sha256":                 true,
	"headers_to_proxy":               true,
	"authorization_headers_to_proxy": true,
	"user_properties_to_proxy":       true,
	"audience":                       true,
	"algorithms":                     true,
	"scopes":                         true,
	"permissions":                    true,
	"groups":                         true,
	"client":                         true,
	"jwt":                            true,
	"signing_key":                    true,
	"key_id":                         true,
}

// parseRule parses `rule <METHOD|ALL> <path> <expression> [public] [backoffice]`.
func (a *Authz) parseRule(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	if len(args) < 3 {
		return d.Errf("rule: want <METHOD|ALL> <path> <expression> [public] [backoffice], got %d argument(s)", len(args))
	}
	r := Rule{Method: args[0], Path: args[1], Expression: args[2]}
	for _, flag := range args[3:] {
		switch flag {
		case "public":
			if r.Public {
				return d.Errf("rule %s %s: public given twice", r.Method, r.Path)
			}
			r.Public = true
		case "backoffice":
			if r.Backoffice {
				return d.Errf("rule %s %s: backoffice given twice", r.Method, r.Path)
			}
			r.Backoffice = true
		default:
			return d.Errf("rule %s %s: unknown flag %q after the expression (want public or backoffice; quote an expression that contains spaces)", r.Method, r.Path, flag)
		}
	}
	if err := noBlock(d, "rule"); err != nil {
		return err
	}
	a.Rules = append(a.Rules, r)
	return nil
}

// unmarshalCaddyfile parses the jwt { … } block.
func (j *JWT) unmarshalCaddyfile(d *caddyfile.Dispenser) error {
	if d.NextArg() {
		return d.Errf("jwt takes no arguments, got %q: put the options in a block", d.Val())
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		if err := once(d, seen, "jwt: ", name); err != nil {
			return err
		}
		var err error
		switch name {
		case "jwks_url":
			err = oneArg(d, &j.JWKSURL)
		case "discovery_url":
			err = oneArg(d, &j.DiscoveryURL)
		case "token_from":
			err = listArgs(d, &j.TokenFrom)
		case "jwks_file":
			err = oneArg(d, &j.JWKSFile)
		case "public_key_file":
			err = oneArg(d, &j.PublicKeyFile)
		case "hmac_secret":
			err = oneArg(d, &j.HMACSecret)
		case "issuer":
			err = oneArg(d, &j.Issuer)
		case "audience":
			err = listArgs(d, &j.Audience)
		case "algorithms":
			err = listArgs(d, &j.Algorithms)
		case "leeway":
			var dur caddy.Duration
			if err = durationArg(d, &dur); err == nil {
				j.Leeway = &dur
			}
		case "user_id_claim":
			err = oneArg(d, &j.UserIDClaim)
		case "groups_claim":
			err = oneArg(d, &j.GroupsClaim)
		case "permissions_claim":
			err = oneArg(d, &j.PermissionsClaim)
		case "token_cache_size":
			var s string
			if err = oneArg(d, &s); err == nil {
				n, perr := strconv.Atoi(s)
				if perr != nil || n <= 0 {
					err = d.Errf("token_cache_size: %q is not a positive integer", s)
				}
				j.TokenCacheSize = n
			}
		default:
			err = d.Errf("jwt: unrecognized subdirective %q", name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// oneArg reads exactly one argument of the current subdirective into dst.
func oneArg(d *caddyfile.Dispenser, dst *string) error {
	name := d.Val()
	args := d.RemainingArgs()
	if len(args) != 1 {
		return d.Errf("%s: want exactly one argument, got %d", name, len(args))
	}
	if args[0] == "" {
		return d.Errf("%s: the value must not be empty", name)
	}
	*dst = args[0]
	return noBlock(d, name)
}

// enumArg reads one argument that must be one of values (or a placeholder,
// checked when it is expanded).
func enumArg(d *caddyfile.Dispenser, dst *string, values ...string) error {
	name := d.Val()
	if err := oneArg(d, dst); err != nil {
		return err
	}
	for _, v := range values {
		if *dst == v {
			return nil
		}
	}
	if isSinglePlaceholder(*dst) {
		return nil
	}
	return d.Errf("%s: %q is not %s", name, *dst, orList(values))
}

// orList formats values as "a, b or c".
func orList(values []string) string {
	if len(values) == 1 {
		return values[0]
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// twoArgs reads exactly two arguments, such as `api_key <key> <client
// type>`. The message on a wrong count never repeats the arguments: the
// first may be a secret.
func twoArgs(d *caddyfile.Dispenser, first, second *string) error {
	name := d.Val()
	args := d.RemainingArgs()
	if len(args) != 2 {
		return d.Errf("%s: want two arguments, <key> <client type>, got %d", name, len(args))
	}
	if args[0] == "" || args[1] == "" {
		return d.Errf("%s: the key and the client type must not be empty", name)
	}
	*first, *second = args[0], args[1]
	return noBlock(d, name)
}

// noBlock fails when a block follows the arguments of name.
func noBlock(d *caddyfile.Dispenser, name string) error {
	if d.NextBlock(d.Nesting()) {
		return d.Errf("%s takes no block", name)
	}
	return nil
}

// listArgs appends one or more arguments to dst.
func listArgs(d *caddyfile.Dispenser, dst *[]string) error {
	name := d.Val()
	args := d.RemainingArgs()
	if len(args) == 0 {
		return d.Errf("%s: want at least one argument", name)
	}
	for _, s := range args {
		if strings.TrimSpace(s) == "" {
			return d.Errf("%s: an item must not be empty", name)
		}
	}
	*dst = append(*dst, args...)
	return noBlock(d, name)
}

// durationArg reads one non-negative duration such as 30s, 5m or 1d.
func durationArg(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	name := d.Val()
	var s string
	if err := oneArg(d, &s); err != nil {
		return err
	}
	dur, err := caddy.ParseDuration(s)
	if err != nil {
		return d.Errf("%s: %q is not a duration: %v", name, s, err)
	}
	if dur < 0 {
		return d.Errf("%s: %q must not be negative", name, s)
	}
	*dst = caddy.Duration(dur)
	return nil
}

// optionalBool reads `name` (true) or `name true|false`.
func optionalBool(d *caddyfile.Dispenser) (bool, error) {
	name := d.Val()
	args := d.RemainingArgs()
	switch len(args) {
	case 0:
		return true, noBlock(d, name)
	case 1:
		b, err := strconv.ParseBool(args[0])
		if err != nil {
			return false, d.Errf("%s: %q is not true or false", name, args[0])
		}
		return b, noBlock(d, name)
	}
	return false, d.Errf("%s: want at most one argument (true or false), got %d", name, len(args))
}

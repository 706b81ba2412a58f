package caddyauthz

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func boolp(b bool) *bool { return &b }

func durp(d time.Duration) *caddy.Duration { c := caddy.Duration(d); return &c }

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUnmarshalCaddyfileAuthz(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input string
		want  Authz
		err   string // substring of the error; empty: no error
	}{
		{name: "empty directive", input: `authz`, want: Authz{}},
		{name: "empty block", input: `authz {
		}`, want: Authz{}},
		{name: "mode inline", input: `authz {
			mode inline
		}`, want: Authz{Mode: "inline"}},
		{name: "mode decision", input: `authz {
			mode decision
		}`, want: Authz{Mode: "decision"}},
		{name: "mode placeholder", input: `authz {
			mode {env.MODE}
		}`, want: Authz{Mode: "{env.MODE}"}},
		{name: "strict bare", input: `authz {
			strict
		}`, want: Authz{Strict: boolp(true)}},
		{name: "strict false", input: `authz {
			strict false
		}`, want: Authz{Strict: boolp(false)}},
		{name: "strict true", input: `authz {
			strict true
		}`, want: Authz{Strict: boolp(true)}},
		{name: "userinfo", input: `authz {
			userinfo_url http://id.local/userinfo
			backoffice_userinfo_url http://id.local/bo
		}`, want: Authz{UserinfoURL: "http://id.local/userinfo", BackofficeUserinfoURL: "http://id.local/bo"}},
		{name: "userinfo placeholder", input: `authz {
			userinfo_url {env.USERINFO_URL}
		}`, want: Authz{UserinfoURL: "{env.USERINFO_URL}"}},
		{name: "header lists", input: `authz {
			headers_to_proxy authorization cookie x-api-key
			authorization_headers_to_proxy authorization
			user_properties_to_proxy email name
		}`, want: Authz{HeadersToProxy: []string{"authorization", "cookie", "x-api-key"}, AuthorizationHeadersToProxy: []string{"authorization"}, UserPropertiesToProxy: []string{"email", "name"}}},
		{name: "lists accumulate", input: `authz {
			headers_to_proxy authorization
			headers_to_proxy cookie
			user_properties_to_proxy email
			user_properties_to_proxy name
			authorization_headers_to_proxy a
			authorization_headers_to_proxy b
		}`, want: Authz{HeadersToProxy: []string{"authorization", "cookie"}, UserPropertiesToProxy: []string{"email", "name"}, AuthorizationHeadersToProxy: []string{"a", "b"}}},
		{name: "keys", input: `authz {
			user_id_key uid
			permissions_key perms
		}`, want: Authz{UserIDKey: "uid", PermissionsKey: "perms"}},
		{name: "timeouts and cache", input: `authz {
			userinfo_timeout 5s
			cache_ttl 1m
			cache_size 500
		}`, want: Authz{UserinfoTimeout: caddy.Duration(5 * time.Second), CacheTTL: caddy.Duration(time.Minute), CacheSize: 500}},
		{name: "duration in days", input: `authz {
			cache_ttl 1d
		}`, want: Authz{CacheTTL: caddy.Duration(24 * time.Hour)}},
		{name: "trust bare", input: `authz {
			trust_user_headers
		}`, want: Authz{TrustUserHeaders: true}},
		{name: "trust false", input: `authz {
			trust_user_headers false
		}`, want: Authz{}},
		{name: "header names", input: `authz {
			userid_header x-user
			groups_header x-groups
			user_properties_header x-props
			client_type_header x-client
			backoffice_header x-bo
		}`, want: Authz{UseridHeader: "x-user", GroupsHeader: "x-groups", UserPropertiesHeader: "x-props", ClientTypeHeader: "x-client", BackofficeHeader: "x-bo"}},
		{name: "rules file and json", input: "authz {\n rules_file auth.json\n rules_json `{\"/\":{\"GET\":{\"authorization\":{\"expression\":\"true\",\"public\":true}}}}`\n}",
			want: Authz{RulesFile: "auth.json", RulesJSON: `{"/":{"GET":{"authorization":{"expression":"true","public":true}}}}`}},
		{name: "rules json heredoc", input: "authz {\n rules_json <<JSON\n\t{\"/\": {}}\n\tJSON\n}", want: Authz{RulesJSON: `{"/": {}}`}},
		{name: "rules", input: "authz {\n" +
			" rule GET /users/:id `groups.admin || permissions[\"users:read\"]`\n" +
			" rule ALL / true public\n" +
			" rule POST /bo \"groups.admin && isBackoffice\" backoffice\n" +
			" rule GET /both true backoffice public\n" +
			"}",
			want: Authz{Rules: []Rule{
				{Method: "GET", Path: "/users/:id", Expression: `groups.admin || permissions["users:read"]`},
				{Method: "ALL", Path: "/", Expression: "true", Public: true},
				{Method: "POST", Path: "/bo", Expression: "groups.admin && isBackoffice", Backoffice: true},
				{Method: "GET", Path: "/both", Expression: "true", Public: true, Backoffice: true},
			}}},
		{name: "jwt all keys", input: `authz {
			jwt {
				jwks_url https://idp/jwks
				jwks_file jwks.json
				public_key_file key.pem
				hmac_secret {env.SECRET}
				issuer https://idp
				audience api1 api2
				audience api3
				algorithms RS256 ES256
				leeway 10s
				user_id_claim uid
				groups_claim roles
				permissions_claim scope
			}
		}`, want: Authz{JWT: JWTBlocks{{JWKSURL: "https://idp/jwks", JWKSFile: "jwks.json", PublicKeyFile: "key.pem", HMACSecret: "{env.SECRET}",
			Issuer: "https://idp", Audience: []string{"api1", "api2", "api3"}, Algorithms: []string{"RS256", "ES256"}, Leeway: durp(10 * time.Second),
			UserIDClaim: "uid", GroupsClaim: "roles", PermissionsClaim: "scope"}}}},
		{name: "jwt leeway zero", input: `authz {
			jwt {
				hmac_secret s
				leeway 0s
			}
		}`, want: Authz{JWT: JWTBlocks{{HMACSecret: "s", Leeway: durp(0)}}}},
		{name: "jwt empty block", input: `authz {
			jwt
		}`, want: Authz{JWT: JWTBlocks{{}}}},

		// errors
		{name: "directive argument", input: `authz http://x`, err: `authz takes no arguments besides a matcher, got "http://x"`},
		{name: "unknown subdirective", input: `authz {
			bogus 1
		}`, err: `unrecognized subdirective "bogus", at Testfile:2`},
		{name: "bad mode", input: `authz {
			mode sidecar
		}`, err: `mode: "sidecar" is not inline or decision`},
		{name: "mode no arg", input: `authz {
			mode
		}`, err: `mode: want exactly one argument, got 0`},
		{name: "mode two args", input: `authz {
			mode inline decision
		}`, err: `mode: want exactly one argument, got 2`},
		{name: "mode twice", input: `authz {
			mode inline
			mode decision
		}`, err: `mode already specified, at Testfile:3`},
		{name: "strict twice", input: `authz {
			strict
			strict false
		}`, err: `strict already specified`},
		{name: "strict bad bool", input: `authz {
			strict maybe
		}`, err: `strict: "maybe" is not true or false`},
		{name: "strict two args", input: `authz {
			strict true false
		}`, err: `strict: want at most one argument (true or false), got 2`},
		{name: "trust bad bool", input: `authz {
			trust_user_headers yes
		}`, err: `trust_user_headers: "yes" is not true or false`},
		{name: "trust twice", input: `authz {
			trust_user_headers
			trust_user_headers
		}`, err: `trust_user_headers already specified`},
		{name: "userinfo twice", input: `authz {
			userinfo_url http://a
			userinfo_url http://b
		}`, err: `userinfo_url already specified`},
		{name: "userinfo no arg", input: `authz {
			userinfo_url
		}`, err: `userinfo_url: want exactly one argument, got 0`},
		{name: "userinfo empty", input: `authz {
			userinfo_url ""
		}`, err: `userinfo_url: the value must not be empty`},
		{name: "backoffice userinfo twice", input: `authz {
			backoffice_userinfo_url http://a
			backoffice_userinfo_url http://b
		}`, err: `backoffice_userinfo_url already specified`},
		{name: "userinfo with block", input: `authz {
			userinfo_url http://a {
				x
			}
		}`, err: `userinfo_url takes no block`},
		{name: "headers_to_proxy empty", input: `authz {
			headers_to_proxy
		}`, err: `headers_to_proxy: want at least one argument`},
		{name: "authorization_headers_to_proxy empty", input: `authz {
			authorization_headers_to_proxy
		}`, err: `authorization_headers_to_proxy: want at least one argument`},
		{name: "user_properties_to_proxy empty", input: `authz {
			user_properties_to_proxy
		}`, err: `user_properties_to_proxy: want at least one argument`},
		{name: "list empty item", input: `authz {
			headers_to_proxy authorization ""
		}`, err: `headers_to_proxy: an item must not be empty`},
		{name: "user_id_key twice", input: `authz {
			user_id_key a
			user_id_key b
		}`, err: `user_id_key already specified`},
		{name: "permissions_key twice", input: `authz {
			permissions_key a
			permissions_key b
		}`, err: `permissions_key already specified`},
		{name: "bad timeout", input: `authz {
			userinfo_timeout soon
		}`, err: `userinfo_timeout: "soon" is not a duration`},
		{name: "negative timeout", input: `authz {
			userinfo_timeout -1s
		}`, err: `userinfo_timeout: "-1s" must not be negative`},
		{name: "timeout twice", input: `authz {
			userinfo_timeout 1s
			userinfo_timeout 2s
		}`, err: `userinfo_timeout already specified`},
		{name: "bad cache_ttl", input: `authz {
			cache_ttl x
		}`, err: `cache_ttl: "x" is not a duration`},
		{name: "cache_ttl twice", input: `authz {
			cache_ttl 1s
			cache_ttl 1s
		}`, err: `cache_ttl already specified`},
		{name: "bad cache_size", input: `authz {
			cache_size many
		}`, err: `cache_size: "many" is not a positive integer`},
		{name: "zero cache_size is the default", input: `authz {
			cache_size 0
		}`, want: Authz{}},
		{name: "negative cache_size", input: `authz {
			cache_size -1
		}`, err: `cache_size: "-1" is not a positive integer (0 means the default, 10000)`},
		{name: "zero userinfo_timeout", input: `authz {
			userinfo_timeout 0s
		}`, err: `userinfo_timeout: "0s" must be greater than zero (remove the option for the default, 1m), at Testfile:2`},
		{name: "cache_size twice", input: `authz {
			cache_size 1
			cache_size 2
		}`, err: `cache_size already specified`},
		{name: "userid_header twice", input: `authz {
			userid_header a
			userid_header b
		}`, err: `userid_header already specified`},
		{name: "groups_header twice", input: `authz {
			groups_header a
			groups_header b
		}`, err: `groups_header already specified`},
		{name: "user_properties_header twice", input: `authz {
			user_properties_header a
			user_properties_header b
		}`, err: `user_properties_header already specified`},
		{name: "client_type_header twice", input: `authz {
			client_type_header a
			client_type_header b
		}`, err: `client_type_header already specified`},
		{name: "backoffice_header twice", input: `authz {
			backoffice_header a
			backoffice_header b
		}`, err: `backoffice_header already specified`},
		{name: "rules_file twice", input: `authz {
			rules_file a.json
			rules_file b.json
		}`, err: `rules_file already specified`},
		{name: "rules_json twice", input: `authz {
			rules_json {}
			rules_json {}
		}`, err: `rules_json already specified`},
		{name: "rule too short", input: `authz {
			rule GET /x
		}`, err: `rule: want <METHOD|ALL> <path> <expression> [public] [backoffice], got 2 argument(s)`},
		{name: "rule unquoted expression", input: `authz {
			rule GET /x groups.a || groups.b
		}`, err: `rule GET /x: unknown flag "||" after the expression`},
		{name: "rule public twice", input: `authz {
			rule GET /x true public public
		}`, err: `rule GET /x: public given twice`},
		{name: "rule backoffice twice", input: `authz {
			rule GET /x true backoffice backoffice
		}`, err: `rule GET /x: backoffice given twice`},
		{name: "rule with block", input: `authz {
			rule GET /x true {
				public
			}
		}`, err: `rule takes no block`},
		{name: "jwt twice: two issuers", input: `authz {
			identity_order jwt userinfo
			jwt {
				discovery_url https://idp/realms/staff/.well-known/openid-configuration
				audience staff
				token_from header:Authorization cookie:at
			}
			jwt {
				issuer https://gw
				hmac_secret b
				token_from query:access_token
			}
		}`, want: Authz{IdentityOrder: []string{"jwt", "userinfo"}, JWT: JWTBlocks{
			{DiscoveryURL: "https://idp/realms/staff/.well-known/openid-configuration", Audience: []string{"staff"}, TokenFrom: []string{"header:Authorization", "cookie:at"}},
			{Issuer: "https://gw", HMACSecret: "b", TokenFrom: []string{"query:access_token"}}}}},
		{name: "jwt discovery_url twice", input: `authz {
			jwt {
				discovery_url a
				discovery_url b
			}
		}`, err: `jwt: discovery_url already specified`},
		{name: "token_from no arg", input: `authz {
			jwt {
				token_from
			}
		}`, err: `token_from: want at least one argument`},
		{name: "identity_order no arg", input: `authz {
			identity_order
		}`, err: `identity_order: want at least one argument`},
		{name: "jwt argument", input: `authz {
			jwt https://idp/jwks
		}`, err: `jwt takes no arguments, got "https://idp/jwks"`},
		{name: "jwt unknown", input: `authz {
			jwt {
				secret x
			}
		}`, err: `jwt: unrecognized subdirective "secret"`},
		{name: "jwt key twice", input: `authz {
			jwt {
				issuer a
				issuer b
			}
		}`, err: `jwt: issuer already specified`},
		{name: "jwt jwks_url twice", input: `authz {
			jwt {
				jwks_url a
				jwks_url b
			}
		}`, err: `jwt: jwks_url already specified`},
		{name: "jwt jwks_file no arg", input: `authz {
			jwt {
				jwks_file
			}
		}`, err: `jwks_file: want exactly one argument, got 0`},
		{name: "jwt public_key_file twice", input: `authz {
			jwt {
				public_key_file a
				public_key_file b
			}
		}`, err: `jwt: public_key_file already specified`},
		{name: "jwt hmac_secret no arg", input: `authz {
			jwt {
				hmac_secret
			}
		}`, err: `hmac_secret: want exactly one argument, got 0`},
		{name: "jwt audience empty", input: `authz {
			jwt {
				audience
			}
		}`, err: `audience: want at least one argument`},
		{name: "jwt algorithms empty", input: `authz {
			jwt {
				algorithms
			}
		}`, err: `algorithms: want at least one argument`},
		{name: "jwt bad leeway", input: `authz {
			jwt {
				leeway forever
			}
		}`, err: `leeway: "forever" is not a duration`},
		{name: "jwt claims twice", input: `authz {
			jwt {
				user_id_claim a
				user_id_claim b
			}
		}`, err: `jwt: user_id_claim already specified`},
		{name: "jwt groups_claim no arg", input: `authz {
			jwt {
				groups_claim
			}
		}`, err: `groups_claim: want exactly one argument, got 0`},
		{name: "gateway inputs", input: `authz {
			backoffice true
			client_type api_key
			api_key k1 partner
			api_key {env.K2} web
			api_key_sha256 0000000000000000000000000000000000000000000000000000000000000000 partner
			preflight pass
			login_redirect /web-login?redirect={uri}
		}`, want: Authz{Backoffice: "true", ClientType: "api_key",
			APIKeys:       []APIKey{{Key: "k1", ClientType: "partner"}, {Key: "{env.K2}", ClientType: "web"}},
			APIKeysSHA256: []APIKey{{KeySHA256: "0000000000000000000000000000000000000000000000000000000000000000", ClientType: "partner"}},
			Preflight:     "pass", LoginRedirect: "/web-login?redirect={uri}"}},
		{name: "backoffice header", input: `authz {
			backoffice header
			client_type header
		}`, want: Authz{Backoffice: "header", ClientType: "header"}},
		{name: "backoffice bad", input: `authz {
			backoffice yes
		}`, err: `backoffice: "yes" is not false, true or header`},
		{name: "backoffice twice", input: `authz {
			backoffice true
			backoffice false
		}`, err: `backoffice already specified`},
		{name: "client_type bad", input: `authz {
			client_type key
		}`, err: `client_type: "key" is not api_key or header`},
		{name: "preflight bad", input: `authz {
			preflight allow
		}`, err: `preflight: "allow" is not decide or pass`},
		{name: "api_key one arg", input: `authz {
			api_key s3cret
		}`, err: `api_key: want two arguments, <key> <client type>, got 1`},
		{name: "api_key_sha256 three args", input: `authz {
			api_key_sha256 aa bb cc
		}`, err: `api_key_sha256: want two arguments`},
		{name: "login_redirect no arg", input: `authz {
			login_redirect
		}`, err: `login_redirect: want exactly one argument, got 0`},
		{name: "jwt token_cache_size", input: `authz {
			jwt {
				hmac_secret s
				token_cache_size 500
			}
		}`, want: Authz{JWT: JWTBlocks{{HMACSecret: "s", TokenCacheSize: 500}}}},
		{name: "jwt token_cache_size bad", input: `authz {
			jwt {
				token_cache_size none
			}
		}`, err: `token_cache_size: "none" is not a positive integer`},
		{name: "operations", input: `authz {
			rules_file auth.json
			rules_reload 5s
			shadow_rules_file auth.next.json
			metrics_path /.aclgate/metrics
			decision_log
		}`, want: Authz{RulesFile: "auth.json", OpsOptions: OpsOptions{RulesReload: caddy.Duration(5 * time.Second),
			ShadowRulesFile: "auth.next.json", MetricsPath: "/.aclgate/metrics", DecisionLog: true}}},
		{name: "decision_log false", input: `authz {
			decision_log false
		}`, want: Authz{}},
		{name: "rules_reload bad", input: `authz {
			rules_reload often
		}`, err: `rules_reload`},
		{name: "rules_reload twice", input: `authz {
			rules_reload 1s
			rules_reload 2s
		}`, err: `rules_reload already specified`},
		{name: "metrics_path not a path", input: `authz {
			metrics_path metrics
		}`, err: `metrics_path: "metrics" is not a path: it must start with /`},
		{name: "shadow_rules_file two args", input: `authz {
			shadow_rules_file a b
		}`, err: `shadow_rules_file: want exactly one argument, got 2`},
		{name: "jwt permissions_claim two args", input: `authz {
			jwt {
				permissions_claim a b
			}
		}`, err: `permissions_claim: want exactly one argument, got 2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got Authz
			err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("want error containing %q, got none (%s)", tc.err, jsonOf(t, got))
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want error containing %q, got %q", tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if g, w := jsonOf(t, got), jsonOf(t, tc.want); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
}

func TestUnmarshalCaddyfileToken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input string
		want  Token
		err   string
	}{
		{name: "all options", input: `authz_token {
			issuer https://gw.example
			audience api
			audience other
			ttl 15m
			signing_key key.pem
			key_id k1
			token_path /token
			jwks_path /jwks
			tokeninfo_path /info
			client svc-a {
				secret {env.SVC_A_SECRET}
				scopes read write
				scopes admin
				permissions users:read
				groups ops
			}
			client svc-b {
				secret_sha256 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
			}
		}`, want: Token{Issuer: "https://gw.example", Audience: []string{"api", "other"}, TTL: caddy.Duration(15 * time.Minute),
			SigningKey: StringList{"key.pem"}, KeyID: StringList{"k1"}, TokenPath: "/token", JWKSPath: "/jwks", TokeninfoPath: "/info",
			Clients: []TokenClient{
				{ID: "svc-a", Secret: "{env.SVC_A_SECRET}", Scopes: []string{"read", "write", "admin"}, Permissions: []string{"users:read"}, Groups: []string{"ops"}},
				{ID: "svc-b", SecretSHA256: "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"},
			}}},
		{name: "minimal", input: `authz_token {
			client a {
				secret s
			}
		}`, want: Token{Clients: []TokenClient{{ID: "a", Secret: "s"}}}},

		{name: "directive argument", input: `authz_token /oauth`, err: `authz_token takes no arguments besides a matcher`},
		{name: "unknown", input: `authz_token {
			clients a
		}`, err: `unrecognized subdirective "clients"`},
		{name: "issuer twice", input: `authz_token {
			issuer a
			issuer b
		}`, err: `issuer already specified`},
		{name: "audience empty", input: `authz_token {
			audience
		}`, err: `audience: want at least one argument`},
		{name: "ttl bad", input: `authz_token {
			ttl long
		}`, err: `ttl: "long" is not a duration`},
		{name: "ttl too short", input: `authz_token {
			ttl 500ms
		}`, err: `ttl: must be at least 1s`},
		{name: "ttl twice", input: `authz_token {
			ttl 1h
			ttl 2h
		}`, err: `ttl already specified`},
		{name: "signing_key and key_id repeated: rotation", input: `authz_token {
			signing_key new.pem
			signing_key old.pem older.pem
			key_id k3 k2
			key_id k1
			max_failures 5
			failure_window 2m
			client a {
				secret s
			}
		}`, want: Token{SigningKey: StringList{"new.pem", "old.pem", "older.pem"}, KeyID: StringList{"k3", "k2", "k1"},
			MaxFailures: 5, FailureWindow: caddy.Duration(2 * time.Minute), Clients: []TokenClient{{ID: "a", Secret: "s"}}}},
		{name: "max_failures off", input: `authz_token {
			max_failures -1
		}`, want: Token{MaxFailures: -1}},
		{name: "max_failures zero", input: `authz_token {
			max_failures 0
		}`, err: `max_failures: "0" is not a positive integer (or -1: no limit)`},
		{name: "max_failures twice", input: `authz_token {
			max_failures 3
			max_failures 4
		}`, err: `max_failures already specified`},
		{name: "key_id no arg", input: `authz_token {
			key_id
		}`, err: `key_id: want at least one argument`},
		{name: "token_path twice", input: `authz_token {
			token_path /a
			token_path /b
		}`, err: `token_path already specified`},
		{name: "jwks_path twice", input: `authz_token {
			jwks_path /a
			jwks_path /b
		}`, err: `jwks_path already specified`},
		{name: "tokeninfo_path twice", input: `authz_token {
			tokeninfo_path /a
			tokeninfo_path /b
		}`, err: `tokeninfo_path already specified`},
		{name: "client no id", input: `authz_token {
			client {
				secret s
			}
		}`, err: `client: want exactly one argument, the client id, got 0`},
		{name: "client two ids", input: `authz_token {
			client a b {
				secret s
			}
		}`, err: `client: want exactly one argument, the client id, got 2`},
		{name: "client twice", input: `authz_token {
			client a {
				secret s
			}
			client a {
				secret t
			}
		}`, err: `client "a" already specified`},
		{name: "client no secret", input: `authz_token {
			client a {
				scopes read
			}
		}`, err: `client "a": set exactly one of secret and secret_sha256`},
		{name: "client both secrets", input: `authz_token {
			client a {
				secret s
				secret_sha256 00
			}
		}`, err: `client "a": set exactly one of secret and secret_sha256`},
		{name: "client secret twice", input: `authz_token {
			client a {
				secret s
				secret t
			}
		}`, err: `client "a": secret already specified`},
		{name: "client unknown", input: `authz_token {
			client a {
				password s
			}
		}`, err: `client "a": unrecognized subdirective "password"`},
		{name: "client scopes empty", input: `authz_token {
			client a {
				secret s
				scopes
			}
		}`, err: `scopes: want at least one argument`},
		{name: "client permissions empty", input: `authz_token {
			client a {
				secret s
				permissions
			}
		}`, err: `permissions: want at least one argument`},
		{name: "client groups empty", input: `authz_token {
			client a {
				secret s
				groups
			}
		}`, err: `groups: want at least one argument`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got Token
			err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("want error containing %q, got none (%s)", tc.err, jsonOf(t, got))
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want error containing %q, got %q", tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if g, w := jsonOf(t, got), jsonOf(t, tc.want); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
}

// The directive functions return the handler the Caddyfile describes.
func TestParseDirectives(t *testing.T) {
	h, err := parseCaddyfile(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser("authz {\n mode decision\n}")})
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := h.(*Authz); !ok || a.Mode != "decision" {
		t.Fatalf("got %#v", h)
	}
	h, err = parseTokenCaddyfile(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser("authz_token {\n client a {\n secret s\n }\n}")})
	if err != nil {
		t.Fatal(err)
	}
	if tk, ok := h.(*Token); !ok || len(tk.Clients) != 1 {
		t.Fatalf("got %#v", h)
	}
}

// Package caddyauthz is the Caddy adapter of aclgate: Mia-Platform-compatible
// authorization (the rules of Mia's auth.json, the userinfo, JWT and
// trusted-header identity sources, the allow/deny decision) inside Caddy,
// with no separate authorization service on the request path.
//
// It registers two HTTP handler modules and their Caddyfile directives:
//
//   - http.handlers.authz (directive authz, see [Authz]): decides on every
//     request. Inline (the default) it lets allowed requests through with
//     the identity headers miauserid, miausergroups and miauserproperties,
//     and answers denials itself with a JSON 401/403/400. In decision mode
//     (mode decision) it answers like Mia's /auth endpoint, with the mia-*
//     headers, for nginx auth_request, Envoy ext_authz, Traefik forwardAuth
//     or Caddy forward_auth.
//   - http.handlers.authz_token (directive authz_token, see [Token]): the
//     OAuth 2.0 client-credentials token endpoint, its JWKS and a tokeninfo
//     endpoint, so that one Caddy can issue, verify and authorize tokens.
//
// Both directives are ordered relative to Caddy's standard directives, so no
// `order` global option is needed: authz_token runs before basic_auth and
// authz right after it, so that the token endpoint is never subject to the
// rules and authz runs before forward_auth, request_header, encode,
// templates, handle/route, respond and reverse_proxy.
//
// All decisions are made by package github.com/aclgate/aclgate/core; this
// package only translates Caddy configuration into a core.Config, adds
// placeholders, logs and metrics, and calls the engine.
//
// # Name collision
//
// apache/casbin-caddy-authz (and the older casbin/caddy-authz) registers the
// same module ID http.handlers.authz and the same directive authz. Caddy
// panics at start-up when two plugins register one name, so the two plugins
// cannot be built into one Caddy binary.
package caddyauthz

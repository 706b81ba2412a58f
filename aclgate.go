// Package aclgate is the module root. It registers the Caddy module so that
// `xcaddy build --with github.com/aclgate/aclgate=<dir>` builds a Caddy with
// the authz and authz_token directives. The engine is in package core; the
// Traefik plugin in package traefikauthz.
package aclgate

import (
	// Registers http.handlers.authz and http.handlers.authz_token.
	_ "github.com/aclgate/aclgate/caddyauthz"
)

package core

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Names of the identity sources in identity_order.
const (
	IdentityJWT      = "jwt"
	IdentityUserinfo = "userinfo"
)

// errNoCredential: a source of an identity chain found no credential of
// its kind; the next source is tried. It never leaves the chain.
var errNoCredential = errors.New("no credential")

// identityChain tries the sources of identity_order in turn: the first that
// finds a credential decides, a present but invalid JWT included (401).
// The jwt source finds a credential when token_from finds a token; the
// userinfo source when the identity service answers with a user.
type identityChain struct {
	jwt      *jwtSource
	info     *userinfoSource
	jwtFirst bool
}

// identify implements identitySource.
func (c *identityChain) identify(r *http.Request, backoffice bool) (User, error) {
	if c.jwtFirst {
		u, err := c.jwt.identify(r, backoffice)
		if err != errNoCredential {
			return u, err
		}
		return c.info.identify(r, backoffice)
	}
	u, err := c.info.identify(r, backoffice)
	if err != nil || u.ID != "" {
		return u, err
	}
	u, err = c.jwt.identify(r, backoffice)
	if err == errNoCredential {
		return User{}, nil
	}
	return u, err
}

// checkIdentityOrder validates identity_order against the configured
// sources: each entry is jwt or userinfo, once, configured, and every
// configured source is listed.
func checkIdentityOrder(cfg *Config, hasJWT bool) error {
	order := cfg.IdentityOrder
	seen := map[string]bool{}
	for i := 0; i < len(order); i++ {
		name := strings.TrimSpace(order[i])
		switch name {
		case IdentityJWT:
			if !hasJWT {
				return errors.New("identity_order: " + quote(name) + " is listed but no jwt block is configured")
			}
		case IdentityUserinfo:
			if cfg.UserinfoURL == "" {
				return errors.New("identity_order: " + quote(name) + " is listed but userinfo_url is not set")
			}
		default:
			return errors.New("identity_order: " + quote(order[i]) + " is not jwt or userinfo")
		}
		if seen[name] {
			return errors.New("identity_order: " + quote(name) + " is listed twice")
		}
		seen[name] = true
	}
	if cfg.TrustUserHeaders {
		return errors.New("identity_order: trust_user_headers cannot be combined with another identity source (trusted headers are set by a trusted edge, not found on the client's request)")
	}
	if hasJWT && !seen[IdentityJWT] {
		return errors.New("identity_order: jwt is configured but not listed")
	}
	if cfg.UserinfoURL != "" && !seen[IdentityUserinfo] {
		return errors.New("identity_order: userinfo_url is set but userinfo is not listed")
	}
	return nil
}

// newIdentityChain builds the jwt and userinfo sources of identity_order
// (checked by checkIdentityOrder, both configured).
func newIdentityChain(ctx context.Context, cfg *Config, a *Authorizer, client *http.Client) (*identityChain, error) {
	js, err := newJWTIdentity(ctx, jwtBlocks(cfg), client, warnFunc(cfg.Hooks), a.decision)
	if err != nil {
		return nil, err
	}
	info, err := newUserinfoSource(cfg, client)
	if err != nil {
		js.v.Close()
		return nil, err
	}
	js.absent = errNoCredential
	js.props, info.props = &a.props, &a.props
	return &identityChain{jwt: js, info: info, jwtFirst: strings.TrimSpace(cfg.IdentityOrder[0]) == IdentityJWT}, nil
}

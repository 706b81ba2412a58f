package core

import (
	"context"
	"net/http"
)

// newJWTSource builds the JWT identity source (SPEC §2.2) and registers its
// cleanup on a.
func newJWTSource(ctx context.Context, cfg *JWTConfig, client *http.Client, warn func(string), a *Authorizer) (identitySource, error) {
	v, err := newJWTVerifier(ctx, *cfg, client, warn)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { v.close() })
	return v, nil
}

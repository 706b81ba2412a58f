package core

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/aclgate/aclgate/core/jose"
)

// jwtSource is the jwt identity source: bearer JWTs verified locally, their
// claims mapped to a User.
type jwtSource struct {
	v           *jose.Verifier
	idClaim     string
	groupsClaim string
	permsClaim  string
	groups      *groupFilter
	// from is token_from (nil: Authorization: Bearer); decision reads a
	// query token from the URI decided on.
	from     []tokenFrom
	decision bool
	// byIss, with several jwt blocks, maps each issuer to the source of
	// its block (its claim mapping); v then dispatches on iss.
	byIss map[string]*jwtSource
	// absent is what identify returns without a token: nil (anonymous),
	// or errNoCredential in an identity chain (try the next source).
	absent error
	cache  *tokenCache // verified tokens
	props  *proxyProps // to precompute the upstream values of cached users
}

// newJWTSource validates cfg and builds the JWT identity source. ctx bounds
// background JWKS work; the caller closes the source's verifier.
func newJWTSource(ctx context.Context, cfg *JWTConfig, client *http.Client, warn func(string)) (*jwtSource, error) {
	if cfg.UserIDClaim == "" {
		return nil, errors.New("jwt: user_id_claim must not be empty")
	}
	v, err := jose.NewVerifier(ctx, jose.Config{
		JWKSURL:       cfg.JWKSURL,
		DiscoveryURL:  cfg.DiscoveryURL,
		JWKSFile:      cfg.JWKSFile,
		PublicKeyFile: cfg.PublicKeyFile,
		HMACSecret:    cfg.HMACSecret,
		Issuer:        cfg.Issuer,
		Audience:      cfg.Audience,
		Algorithms:    cfg.Algorithms,
		Leeway:        cfg.Leeway,
	}, client, warn)
	if err != nil {
		return nil, err
	}
	if cfg.TokenCacheSize < 0 {
		return nil, errors.New("jwt: token_cache_size: must not be negative, got " + strconv.Itoa(cfg.TokenCacheSize))
	}
	return &jwtSource{v: v, idClaim: cfg.UserIDClaim, groupsClaim: cfg.GroupsClaim, permsClaim: cfg.PermissionsClaim,
		groups: newGroupFilter("jwt", warn), cache: newTokenCache(cfg.TokenCacheSize)}, nil
}

// identify implements identitySource: no token (token_from) → anonymous; an
// invalid one → errInvalidToken. backoffice plays no part.
func (s *jwtSource) identify(r *http.Request, backoffice bool) (User, error) {
	tok, present := jwtToken(s, r)
	if !present {
		return User{}, s.absent
	}
	now := time.Now().Unix()
	if u, ok := cachedUser(s.cache, tok, now); ok {
		return u, nil
	}
	claims, err := jose.Verify(s.v, r.Context(), tok)
	if err != nil {
		return User{}, errInvalidToken
	}
	u := withUpstream(s.props, jwtUser(s, claims))
	storeUser(s.cache, tok, u, claims["exp"], now)
	return u, nil
}

// jwtUser maps verified claims to a User. A token without a usable id
// (missing, empty, not a string or number) is anonymous, as a userinfo
// answer without one is.
func jwtUser(s *jwtSource, claims map[string]any) User {
	if s.byIss != nil {
		s = issuerSource(s, claims)
	}
	id := idString(claims[s.idClaim])
	if id == "" {
		return User{}
	}
	u := User{ID: id, Properties: claims}
	if s.groupsClaim != "" {
		u.Groups = cleanGroups(s.groups, stringList(claims[s.groupsClaim]))
	}
	if s.permsClaim != "" {
		u.Permissions = stringList(claims[s.permsClaim])
	}
	return u
}

// JWTVerifier verifies bearer JWTs exactly as the jwt identity source does.
// It is for adapters and tests that need a verifier outside an Authorizer;
// it is safe for concurrent use.
type JWTVerifier struct {
	s *jwtSource
}

// NewJWTVerifier validates cfg and builds a verifier. With jwks_url, keys
// are fetched in the background and on demand, never here; ctx bounds that
// work and client (nil: a default client) makes the calls. Call Close when
// done.
func NewJWTVerifier(ctx context.Context, cfg JWTConfig, client *http.Client) (*JWTVerifier, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	s, err := newJWTSource(ctx, &cfg, client, nil)
	if err != nil {
		return nil, err
	}
	return &JWTVerifier{s: s}, nil
}

// Verify checks a compact JWT (signature, exp, nbf, iat, iss, aud) and maps
// its claims to a User. A valid token without a user id gives the
// anonymous (zero) User. The error says why a token was refused and never
// contains the token.
func (v *JWTVerifier) Verify(token string) (User, error) {
	claims, err := jose.Verify(v.s.v, context.Background(), token)
	if err != nil {
		return User{}, err
	}
	return jwtUser(v.s, claims), nil
}

// Close stops background JWKS fetching.
func (v *JWTVerifier) Close() { v.s.v.Close() }

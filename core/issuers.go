package core

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/aclgate/aclgate/core/jose"
)

// jwtBlocks returns the jwt blocks of cfg: JWT first, then JWTIssuers.
func jwtBlocks(cfg *Config) []JWTConfig {
	var blocks []JWTConfig
	if cfg.JWT != nil {
		blocks = append(blocks, *cfg.JWT)
	}
	return append(blocks, cfg.JWTIssuers...)
}

// jwtBlockName is how errors name block i of n.
func jwtBlockName(b *JWTConfig, i, n int) string {
	if b.Name != "" {
		return b.Name
	}
	if n == 1 {
		return "jwt"
	}
	return "jwt block " + strconv.Itoa(i+1)
}

// renameJWTError puts the block's name in place of the "jwt" that starts
// an error of one block; an empty name drops it (the message names the
// block already).
func renameJWTError(err error, name string) error {
	msg := err.Error()
	if name == "jwt" {
		return err
	}
	msg = strings.TrimPrefix(msg, "jwt: ")
	if name == "" {
		return errors.New(msg)
	}
	return errors.New(name + ": " + msg)
}

// newJWTIdentity builds the jwt identity source of every block. One block
// behaves as it always did (issuer optional). Several blocks each name a
// distinct issuer (directly or through discovery_url), and the token's
// iss chooses the block that verifies it and maps its claims.
func newJWTIdentity(ctx context.Context, blocks []JWTConfig, client *http.Client, warn func(string), decision bool) (*jwtSource, error) {
	from, err := blocksTokenFrom(blocks)
	if err != nil {
		return nil, err
	}
	n := len(blocks)
	subs := make([]*jwtSource, 0, n)
	vs := make([]*jose.Verifier, 0, n)
	names := make([]string, 0, n)
	closeAll := func() {
		for k := 0; k < len(vs); k++ {
			vs[k].Close()
		}
	}
	for i := 0; i < n; i++ {
		name := jwtBlockName(&blocks[i], i, n)
		s, err := newJWTSource(ctx, &blocks[i], client, warn)
		if err != nil {
			closeAll()
			return nil, renameJWTError(err, name)
		}
		s.from = from
		s.decision = decision
		subs = append(subs, s)
		vs = append(vs, s.v)
		names = append(names, name)
	}
	if n == 1 {
		return subs[0], nil
	}
	set, err := jose.NewIssuerSet(vs, names)
	if err != nil {
		closeAll()
		return nil, renameJWTError(err, "")
	}
	// one verified-token cache for all the blocks, as large as the largest
	size := 0
	for i := 0; i < n; i++ {
		if blocks[i].TokenCacheSize > size {
			size = blocks[i].TokenCacheSize
		}
	}
	top := &jwtSource{v: set, from: from, decision: decision, byIss: make(map[string]*jwtSource, n),
		groups: subs[0].groups, cache: newTokenCache(size)}
	for i := 0; i < n; i++ {
		top.byIss[subs[i].v.Issuer()] = subs[i]
	}
	return top, nil
}

// blocksTokenFrom parses the token_from of the blocks. The token is looked
// for before its issuer is known, so the blocks that set token_from must
// agree; one block may set it for all.
func blocksTokenFrom(blocks []JWTConfig) ([]tokenFrom, error) {
	first := -1
	n := len(blocks)
	for i := 0; i < n; i++ {
		b := &blocks[i]
		if len(b.TokenFrom) == 0 {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		if strings.Join(b.TokenFrom, " ") != strings.Join(blocks[first].TokenFrom, " ") {
			return nil, errors.New(jwtBlockName(b, i, n) + ": token_from " + quote(strings.Join(b.TokenFrom, " ")) +
				" differs from " + jwtBlockName(&blocks[first], first, n) + "'s " + quote(strings.Join(blocks[first].TokenFrom, " ")) +
				": the token is found before its issuer is known, so set token_from in one block (it applies to all) or the same in each")
		}
	}
	if first < 0 {
		return nil, nil
	}
	return parseTokenFrom(blocks[first].TokenFrom, jwtBlockName(&blocks[first], first, n)+": token_from")
}

// issuerSource is the block that verified claims (their iss chose it).
func issuerSource(s *jwtSource, claims map[string]any) *jwtSource {
	iss, _ := claims["iss"].(string)
	if b := s.byIss[iss]; b != nil {
		return b
	}
	return s
}

package traefikauthz

import (
	"errors"
	"strconv"
	"strings"

	"github.com/aclgate/aclgate/core"
	"github.com/aclgate/aclgate/core/token"
)

// jwtConfigs converts the jwt blocks. A single block keeps the name "jwt"
// in errors; in a list, each block is named by its index ("jwt[1]").
func jwtConfigs(blocks []JWT) ([]core.JWTConfig, error) {
	var out []core.JWTConfig
	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		j := core.DefaultJWTConfig()
		name := "jwt"
		if len(blocks) > 1 {
			name = "jwt[" + strconv.Itoa(i) + "]"
			j.Name = name
		}
		j.JWKSURL = strings.TrimSpace(b.JWKSURL)
		j.DiscoveryURL = strings.TrimSpace(b.DiscoveryURL)
		j.JWKSFile = strings.TrimSpace(b.JWKSFile)
		j.PublicKeyFile = strings.TrimSpace(b.PublicKeyFile)
		j.HMACSecret = b.HMACSecret
		j.Issuer = strings.TrimSpace(b.Issuer)
		j.Audience = list(b.Audience)
		j.Algorithms = list(b.Algorithms)
		j.TokenFrom = splitList(b.TokenFrom)
		var err error
		if j.Leeway, err = duration(name+".leeway", b.Leeway, core.DefaultJWTLeeway); err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(b.UserIDClaim); s != "" {
			j.UserIDClaim = s
		}
		if s := strings.TrimSpace(b.GroupsClaim); s != "" {
			j.GroupsClaim = s
		}
		if s := strings.TrimSpace(b.PermissionsClaim); s != "" {
			j.PermissionsClaim = s
		}
		j.TokenCacheSize = b.TokenCacheSize
		out = append(out, j)
	}
	return out, nil
}

// splitList splits every item on commas and spaces (a label or a file
// provider may give "jwt userinfo" or "jwt,userinfo" as one string) and
// drops empty items.
func splitList(in []string) []string {
	var out []string
	for i := 0; i < len(in); i++ {
		f := strings.Fields(strings.ReplaceAll(in[i], ",", " "))
		out = append(out, f...)
	}
	return out
}

// tokenKeys converts signingKey/signingKeys, keyId/keyIds and the
// brute-force options of the token endpoint.
func tokenKeys(tc *token.Config, t *TokenEndpoint) error {
	tc.SigningKeys = append(splitList([]string{t.SigningKey}), splitList(t.SigningKeys)...)
	tc.KeyIDs = append(splitList([]string{t.KeyID}), splitList(t.KeyIDs)...)
	if t.MaxFailures < -1 {
		return errors.New("tokenEndpoint.maxFailures: must be positive (or -1: no limit), got " + strconv.Itoa(t.MaxFailures))
	}
	tc.MaxFailures = t.MaxFailures
	var err error
	tc.FailureWindow, err = duration("tokenEndpoint.failureWindow", t.FailureWindow, token.DefaultFailureWindow)
	return err
}

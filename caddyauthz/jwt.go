package caddyauthz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/aclgate/aclgate/core"
)

// JWTBlocks are the jwt blocks of authz, one per issuer. In JSON, "jwt" is
// one object (a single issuer) or a list of them; the Caddyfile repeats
// the jwt block.
type JWTBlocks []JWT

// UnmarshalJSON accepts one object or a list of objects, and refuses
// unknown fields as Caddy does.
func (b *JWTBlocks) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*b = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if len(data) > 0 && data[0] == '{' {
		var j JWT
		if err := dec.Decode(&j); err != nil {
			return fmt.Errorf("jwt: %v", err)
		}
		*b = JWTBlocks{j}
		return nil
	}
	var list []JWT
	if err := dec.Decode(&list); err != nil {
		return fmt.Errorf("jwt: want an object or a list of objects: %v", err)
	}
	*b = list
	return nil
}

// MarshalJSON writes one block as an object, several as a list.
func (b JWTBlocks) MarshalJSON() ([]byte, error) {
	if len(b) == 1 {
		return json.Marshal(b[0])
	}
	return json.Marshal([]JWT(b))
}

// StringList is a list option that JSON may also give as one string
// (signing_key, key_id).
type StringList []string

// UnmarshalJSON accepts a string or a list of strings.
func (l *StringList) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*l = StringList{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("want a string or a list of strings: %v", err)
	}
	*l = list
	return nil
}

// MarshalJSON writes one item as a string, several as a list.
func (l StringList) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return json.Marshal(l[0])
	}
	return json.Marshal([]string(l))
}

// jwtConfigs translates the jwt blocks, expanding global placeholders
// (a placeholder of an option without a default that expands to nothing is
// an error, see expander).
func jwtConfigs(ex *expander, blocks JWTBlocks) ([]core.JWTConfig, error) {
	var out []core.JWTConfig
	for i := range blocks {
		b := &blocks[i]
		j := core.DefaultJWTConfig()
		name := "jwt"
		if len(blocks) > 1 {
			j.Name = fmt.Sprintf("jwt block %d", i+1)
			name = j.Name
		}
		str := func(option, v string) string { return ex.str(name+": "+option, v) }
		set := func(dst *string, option, v string) {
			if s := ex.repl.ReplaceKnown(v, ""); s != "" {
				*dst = s
			}
		}
		j.JWKSURL = str("jwks_url", b.JWKSURL)
		j.DiscoveryURL = str("discovery_url", b.DiscoveryURL)
		j.JWKSFile = str("jwks_file", b.JWKSFile)
		j.PublicKeyFile = str("public_key_file", b.PublicKeyFile)
		j.HMACSecret = str("hmac_secret", b.HMACSecret)
		j.Issuer = str("issuer", b.Issuer)
		j.Audience = ex.list(name+": audience", b.Audience)
		j.Algorithms = ex.list(name+": algorithms", b.Algorithms)
		j.TokenFrom = expandSpaced(ex.repl, b.TokenFrom)
		if b.Leeway != nil {
			if *b.Leeway < 0 {
				return nil, fmt.Errorf("%s: leeway: must not be negative, got %s", name, time.Duration(*b.Leeway))
			}
			j.Leeway = time.Duration(*b.Leeway)
		}
		set(&j.UserIDClaim, "user_id_claim", b.UserIDClaim)
		set(&j.GroupsClaim, "groups_claim", b.GroupsClaim)
		set(&j.PermissionsClaim, "permissions_claim", b.PermissionsClaim)
		if b.TokenCacheSize < 0 {
			return nil, fmt.Errorf("%s: token_cache_size: must be positive, got %d", name, b.TokenCacheSize)
		}
		j.TokenCacheSize = b.TokenCacheSize
		out = append(out, j)
	}
	return out, nil
}

// expandSpaced is expandList that also splits on spaces: token_from and
// identity_order items never hold one, and an environment variable may
// list them either way.
func expandSpaced(repl *caddy.Replacer, in []string) []string {
	var out []string
	for _, s := range expandList(repl, in) {
		out = append(out, bytesFields(s)...)
	}
	return out
}

func bytesFields(s string) []string {
	var out []string
	for _, f := range bytes.Fields([]byte(s)) {
		out = append(out, string(f))
	}
	return out
}

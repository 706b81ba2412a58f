package jose

// Several issuers behind one Verifier: the token's iss chooses whose keys,
// audience and algorithms check it.

import (
	"errors"
	"strconv"
)

// NewIssuerSet combines verifiers, each with its own non-empty and
// distinct issuer, into one. Verify then reads the token's iss from its
// still unverified claims only to choose a verifier, and verifies the token
// with that verifier's keys, algorithms and claim checks (its iss again
// among them). A token whose iss names none of them is refused. names
// (optional, one per verifier) say how configuration errors name each one,
// such as "jwt[2]". Closing the set closes every verifier.
func NewIssuerSet(vs []*Verifier, names []string) (*Verifier, error) {
	set := &Verifier{issuers: make(map[string]*Verifier, len(vs))}
	for i := 0; i < len(vs); i++ {
		name := "jwt block " + strconv.Itoa(i+1)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		iss := vs[i].issuer
		if iss == "" {
			return nil, errors.New("jwt: " + name + ": issuer is required when several jwt blocks are configured (the token's iss chooses the block)")
		}
		if _, dup := set.issuers[iss]; dup {
			return nil, errors.New("jwt: " + name + ": issuer " + strconv.Quote(iss) + " is configured in two jwt blocks")
		}
		set.issuers[iss] = vs[i]
	}
	return set, nil
}

// pickIssuer returns the verifier of the issuer that the payload names,
// and the decoded (not yet verified) claims.
func pickIssuer(set *Verifier, payload []byte) (*Verifier, map[string]any, error) {
	claims, err := jwtClaims(payload)
	if err != nil {
		return nil, nil, err
	}
	iss, _ := claims["iss"].(string)
	v := set.issuers[iss]
	if v == nil {
		return nil, nil, errJWTIssuer
	}
	return v, claims, nil
}

// Issuer returns the iss a verifier requires: its configured issuer, or
// the one derived from its discovery_url; "" when it checks none.
func (v *Verifier) Issuer() string { return v.issuer }

package token

// Signing keys of the token endpoint and their rotation: the first key
// signs, every key is published.

import (
	"errors"
	"os"
	"strconv"

	"github.com/aclgate/aclgate/core/jose"
)

// tokenSigners loads the signing keys of cfg (SigningKey, then
// SigningKeys), each with its kid (KeyID, then KeyIDs; the thumbprint when
// none). Without any key, an ephemeral Ed25519 key and a warning. Errors
// name the option, the file and its position, never key material.
func tokenSigners(cfg *Config) ([]*jose.Signer, error) {
	var files, kids []string
	if cfg.SigningKey != "" {
		files = append(files, cfg.SigningKey)
	}
	files = append(files, cfg.SigningKeys...)
	if cfg.KeyID != "" {
		kids = append(kids, cfg.KeyID)
	}
	kids = append(kids, cfg.KeyIDs...)
	if len(kids) > len(files) && len(files) > 0 {
		return nil, errors.New("token: key_id: " + strconv.Itoa(len(kids)) + " key ids for " + strconv.Itoa(len(files)) + " signing keys (each key_id names the signing_key at its position)")
	}
	if len(files) == 0 {
		signer, err := jose.NewEphemeralSigner()
		if err != nil {
			return nil, errors.New("token: cannot make an ephemeral key")
		}
		if len(kids) > 1 {
			return nil, errors.New("token: key_id: " + strconv.Itoa(len(kids)) + " key ids without signing_key")
		}
		kid := ""
		if len(kids) == 1 {
			kid = kids[0]
		}
		signer.SetKeyID(kid)
		if cfg.Warn != nil {
			cfg.Warn("token: no signing_key configured: using an ephemeral Ed25519 key; its tokens stop verifying at restart and differ between instances")
		}
		return []*jose.Signer{signer}, nil
	}
	signers := make([]*jose.Signer, 0, len(files))
	seen := map[string]int{}
	for i := 0; i < len(files); i++ {
		name := "token: signing_key " + strconv.Quote(files[i])
		if len(files) > 1 {
			name += " (key " + strconv.Itoa(i+1) + ")"
		}
		data, err := os.ReadFile(files[i])
		if err != nil {
			return nil, errors.New(name + ": cannot read the file: " + readErrCause(err))
		}
		signer, err := jose.NewSignerFromPEM(data)
		if err != nil {
			return nil, errors.New(name + ": " + err.Error())
		}
		kid := ""
		if i < len(kids) {
			kid = kids[i]
		}
		signer.SetKeyID(kid)
		kid = signer.KeyID()
		if j, dup := seen[kid]; dup {
			return nil, errors.New(name + ": its kid " + strconv.Quote(kid) + " is also the kid of key " + strconv.Itoa(j+1) + " (the same key twice, or the same key_id)")
		}
		seen[kid] = i
		signers = append(signers, signer)
	}
	return signers, nil
}

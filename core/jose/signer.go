package jose

// Signing: the private keys of a token issuer and compact JWS encoding.

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"strconv"
	"strings"
)

// NewSignerFromPEM reads the first private key of a PEM file: PKCS #8
// "PRIVATE KEY" (Ed25519, ECDSA P-256, RSA), "EC PRIVATE KEY" (SEC 1) or
// "RSA PRIVATE KEY" (PKCS #1). Other blocks (e.g. "EC PARAMETERS") are
// skipped; encrypted keys are refused. Errors never contain key material.
func NewSignerFromPEM(data []byte) (*Signer, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found: the file " + describeKeyFile(data))
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "" {
			return nil, errors.New("encrypted private keys are not supported")
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			if strings.Contains(block.Type, "PRIVATE KEY") {
				return nil, errors.New("unsupported PEM block " + strconv.Quote(block.Type))
			}
			continue
		}
		if err != nil {
			return nil, errors.New("invalid " + block.Type + " block")
		}
		return NewSigner(key)
	}
}

// NewSigner wraps a private key for signing: Ed25519 → EdDSA, ECDSA P-256 →
// ES256, RSA of at least 2048 bits → RS256.
func NewSigner(key any) (*Signer, error) {
	if k, ok := key.(ed25519.PrivateKey); ok {
		pub, _ := k.Public().(ed25519.PublicKey)
		return &Signer{alg: jwsAlgs["EdDSA"], ed: k, pub: &Key{kty: "OKP", crv: "Ed25519", ed: pub}}, nil
	}
	if k, ok := key.(*ecdsa.PrivateKey); ok {
		if k.Curve == nil || k.Curve.Params() == nil || k.Curve.Params().Name != "P-256" {
			return nil, errors.New("ECDSA signing keys must use the P-256 curve")
		}
		return &Signer{alg: jwsAlgs["ES256"], ec: k, pub: &Key{kty: "EC", crv: "P-256", ec: &k.PublicKey}}, nil
	}
	if k, ok := key.(*rsa.PrivateKey); ok {
		if k.N.BitLen() < jwkMinRSABits {
			return nil, errors.New("RSA signing key of " + strconv.Itoa(k.N.BitLen()) + " bits; at least 2048 are required")
		}
		if k.N.BitLen() > jwkMaxRSABits {
			return nil, errors.New("RSA signing key of " + strconv.Itoa(k.N.BitLen()) + " bits; at most 8192 are supported")
		}
		return &Signer{alg: jwsAlgs["RS256"], rsa: k, pub: &Key{kty: "RSA", rsa: &k.PublicKey}}, nil
	}
	return nil, errors.New("unsupported private key type " + keyTypeName(key) + "; use Ed25519, ECDSA P-256 or RSA")
}

// NewEphemeralSigner makes a signer with a fresh Ed25519 key.
func NewEphemeralSigner() (*Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewSigner(priv)
}

// Signer signs compact JWS tokens with one private key. Build one with
// NewSigner, NewSignerFromPEM or NewEphemeralSigner, then give it a key id
// with SetKeyID before its first use.
type Signer struct {
	alg *jwsAlg
	kid string
	// pub is the public half, published in the JWKS and used by tokeninfo.
	pub *Key
	ed  ed25519.PrivateKey
	ec  *ecdsa.PrivateKey
	rsa *rsa.PrivateKey
}

// signature returns the JWS signature of input.
func (s *Signer) signature(input string) ([]byte, error) {
	if s.alg.family == jwsEd {
		return ed25519.Sign(s.ed, []byte(input)), nil
	}
	h := s.alg.newHash()
	io.WriteString(h, input)
	digest := h.Sum(nil)
	if s.alg.family == jwsEC {
		r, ss, err := ecdsa.Sign(rand.Reader, s.ec, digest)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 2*s.alg.size)
		r.FillBytes(out[:s.alg.size])
		ss.FillBytes(out[s.alg.size:])
		return out, nil
	}
	if s.alg.family == jwsRSA {
		return rsa.SignPKCS1v15(rand.Reader, s.rsa, s.alg.hash, digest)
	}
	return nil, errors.New("jwt: unsupported signing algorithm")
}

// Sign builds a compact JWS from a header and a claims set. The header
// gets "alg" and "kid" from the signer (a nil header is an empty one).
func (s *Signer) Sign(header, claims map[string]any) (string, error) {
	if header == nil {
		header = map[string]any{}
	}
	header["alg"] = s.alg.name
	if s.kid != "" {
		header["kid"] = s.kid
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := jwtB64.EncodeToString(hb) + "." + jwtB64.EncodeToString(cb)
	sig, err := s.signature(input)
	if err != nil {
		return "", err
	}
	return input + "." + jwtB64.EncodeToString(sig), nil
}

// SetKeyID sets the kid of the signer and of its public key; an empty kid
// means the RFC 7638 thumbprint of the public key.
func (s *Signer) SetKeyID(kid string) {
	if kid == "" {
		kid = Thumbprint(s.pub)
	}
	s.kid = kid
	s.pub.kid = kid
	s.pub.alg = s.alg.name
}

// KeyID returns the kid of the signer.
func (s *Signer) KeyID() string { return s.kid }

// Algorithm returns the JWA name of the signing algorithm (EdDSA, ES256 or
// RS256).
func (s *Signer) Algorithm() string { return s.alg.name }

// Public returns the public key, with the signer's kid and alg, for a
// JWKS document or a Verifier.
func (s *Signer) Public() *Key { return s.pub }

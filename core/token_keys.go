package core

// Signing keys of the token issuer (SPEC §8).

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"
)

// tokenSignerFromPEM reads the first private key of a PEM file: PKCS #8
// "PRIVATE KEY" (Ed25519, ECDSA P-256, RSA), "EC PRIVATE KEY" (SEC 1) or
// "RSA PRIVATE KEY" (PKCS #1). Other blocks (e.g. "EC PARAMETERS") are
// skipped; encrypted keys are refused. Errors never contain key material.
func tokenSignerFromPEM(data []byte) (*jwsSigner, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found")
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
		return tokenSignerFromKey(key)
	}
}

// tokenSignerFromKey wraps a private key: Ed25519 → EdDSA, ECDSA P-256 →
// ES256, RSA of at least 2048 bits → RS256.
func tokenSignerFromKey(key any) (*jwsSigner, error) {
	if k, ok := key.(ed25519.PrivateKey); ok {
		pub, _ := k.Public().(ed25519.PublicKey)
		return &jwsSigner{alg: jwsAlgs["EdDSA"], ed: k, pub: &jwsKey{kty: "OKP", crv: "Ed25519", ed: pub}}, nil
	}
	if k, ok := key.(*ecdsa.PrivateKey); ok {
		if k.Curve == nil || k.Curve.Params() == nil || k.Curve.Params().Name != "P-256" {
			return nil, errors.New("ECDSA signing keys must use the P-256 curve")
		}
		return &jwsSigner{alg: jwsAlgs["ES256"], ec: k, pub: &jwsKey{kty: "EC", crv: "P-256", ec: &k.PublicKey}}, nil
	}
	if k, ok := key.(*rsa.PrivateKey); ok {
		if k.N.BitLen() < jwkMinRSABits {
			return nil, errors.New("RSA signing key of " + strconv.Itoa(k.N.BitLen()) + " bits; at least 2048 are required")
		}
		if k.N.BitLen() > jwkMaxRSABits {
			return nil, errors.New("RSA signing key of " + strconv.Itoa(k.N.BitLen()) + " bits; at most 8192 are supported")
		}
		return &jwsSigner{alg: jwsAlgs["RS256"], rsa: k, pub: &jwsKey{kty: "RSA", rsa: &k.PublicKey}}, nil
	}
	return nil, errors.New("unsupported private key type; use Ed25519, ECDSA P-256 or RSA")
}

// tokenEphemeralSigner makes a fresh Ed25519 key.
func tokenEphemeralSigner() (*jwsSigner, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return tokenSignerFromKey(priv)
}

package jose

// Compact JWS decoding, signing and signature verification (RFC 7515,
// RFC 7518, RFC 8037), shared by the JWT verifier and the token
// issuer. Only the standard library is used, within the Go subset
// yaegi interprets.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"

	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"strings"
)

// MaxJWTSize is the largest token, in bytes, that is decoded at all.
const MaxJWTSize = 16 << 10

// jsonMaxDepth bounds the nesting of a decoded header, claims set or token
// request body.
const jsonMaxDepth = 64

// Errors of the JWT code. They are sentinels (compared with errors.Is) and
// carry no token content.
var (
	errJWTTooLarge   = errors.New("jwt: token larger than 16 KiB")
	errJWTMalformed  = errors.New("jwt: malformed compact serialization")
	errJWTBase64     = errors.New("jwt: invalid base64url")
	errJWTHeader     = errors.New("jwt: invalid header")
	errJWTDuplicate  = errors.New("jwt: duplicate member name")
	errJWTAlgNone    = errors.New("jwt: alg none is not accepted")
	errJWTCrit       = errors.New("jwt: unsupported critical header")
	errJWTClaimsJSON = errors.New("jwt: claims are not a JSON object")
	errJWTAlg        = errors.New("jwt: algorithm not allowed")
	errJWTNoKey      = errors.New("jwt: no key for this token")
	errJWTSignature  = errors.New("jwt: invalid signature")
	errJWTType       = errors.New("jwt: unexpected typ")
	errJWTNumeric    = errors.New("jwt: exp, nbf and iat must be JSON numbers")
	errJWTExpired    = errors.New("jwt: token expired")
	errJWTNoExp      = errors.New("jwt: token has no exp")
	errJWTNotYet     = errors.New("jwt: token not valid yet")
	errJWTIatFuture  = errors.New("jwt: token issued in the future")
	errJWTIssuer     = errors.New("jwt: issuer mismatch")
	errJWTAudience   = errors.New("jwt: audience mismatch")

	errJSONSyntax = errors.New("invalid JSON")
)

// ErrDuplicateMember is DecodeObject's error for a member name given twice
// in one object.
var ErrDuplicateMember = errors.New("duplicate JSON member name")

// JWT is a decoded compact JWS whose signature has NOT been verified.
type JWT struct {
	// Alg is the header's "alg".
	Alg string
	// Kid is the header's "kid"; empty when absent.
	Kid string
	// Typ is the header's "typ"; empty when absent.
	Typ string
	// Header is the whole protected header; numbers are json.Number.
	Header map[string]any
	// Claims is the payload, a JSON object; numbers are json.Number.
	Claims map[string]any
	// SigningInput is the part the signature covers: the first two
	// segments and the dot between them.
	SigningInput string
	// Signature is the decoded third segment.
	Signature []byte
}

// ParseJWT decodes a compact JWS carrying a JWT claims set, without
// verifying it. It rejects tokens over MaxJWTSize, anything but three
// unpadded base64url segments, duplicate member names in the header or the
// claims, alg "none", a "crit" header, and an empty signature. Embedded key
// headers (jwk, jku, x5u, x5c) are kept in Header but never used for keys.
func ParseJWT(token string) (*JWT, error) {
	j, payload, err := jwsParse(token)
	if err != nil {
		return nil, err
	}
	claims, err := jwtClaims(payload)
	if err != nil {
		return nil, err
	}
	j.Claims = claims
	return j, nil
}

// jwtB64 is the only base64 flavour of JOSE: URL alphabet, no padding, and
// (Strict) no stray bits in the last character.
var jwtB64 = base64.RawURLEncoding.Strict()

// jwsParse splits and decodes a compact JWS: header (checked) and signature
// decoded, payload returned as bytes so that callers can verify before they
// parse it.
func jwsParse(token string) (*JWT, []byte, error) {
	if len(token) > MaxJWTSize {
		return nil, nil, errJWTTooLarge
	}
	dot1, dot2 := -1, -1
	for i := 0; i < len(token); i++ {
		c := token[i]
		if c == '.' {
			if dot1 < 0 {
				dot1 = i
			} else if dot2 < 0 {
				dot2 = i
			} else {
				return nil, nil, errJWTMalformed
			}
			continue
		}
		// The base64url alphabet only: this also rejects padding, '+', '/'
		// and the line breaks the base64 decoder would silently skip.
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return nil, nil, errJWTBase64
		}
	}
	if dot2 < 0 || dot1 == 0 || dot2 == dot1+1 || dot2 == len(token)-1 {
		return nil, nil, errJWTMalformed
	}
	hb, err := jwtB64.DecodeString(token[:dot1])
	if err != nil {
		return nil, nil, errJWTBase64
	}
	payload, err := jwtB64.DecodeString(token[dot1+1 : dot2])
	if err != nil {
		return nil, nil, errJWTBase64
	}
	sig, err := jwtB64.DecodeString(token[dot2+1:])
	if err != nil {
		return nil, nil, errJWTBase64
	}
	header, err := DecodeObject(hb)
	if err != nil {
		if err == ErrDuplicateMember {
			return nil, nil, errJWTDuplicate
		}
		return nil, nil, errJWTHeader
	}
	j := &JWT{Header: header, SigningInput: token[:dot2], Signature: sig}
	alg, ok := header["alg"].(string)
	if !ok || alg == "" {
		return nil, nil, errJWTHeader
	}
	if strings.EqualFold(alg, "none") {
		return nil, nil, errJWTAlgNone
	}
	j.Alg = alg
	if v, present := header["kid"]; present {
		s, ok := v.(string)
		if !ok {
			return nil, nil, errJWTHeader
		}
		j.Kid = s
	}
	if v, present := header["typ"]; present {
		s, ok := v.(string)
		if !ok {
			return nil, nil, errJWTHeader
		}
		j.Typ = s
	}
	// No extension is understood, so any "crit" must be refused (RFC 7515
	// §4.1.11).
	if _, present := header["crit"]; present {
		return nil, nil, errJWTCrit
	}
	return j, payload, nil
}

// jwtClaims decodes a payload into a claims set.
func jwtClaims(payload []byte) (map[string]any, error) {
	claims, err := DecodeObject(payload)
	if err != nil {
		if err == ErrDuplicateMember {
			return nil, errJWTDuplicate
		}
		return nil, errJWTClaimsJSON
	}
	return claims, nil
}

// DecodeObject decodes data, which must hold exactly one JSON object, into a
// map, as strictly as JOSE headers and claims need. Numbers become json.Number. A member name repeated in any object, at
// any depth, gives ErrDuplicateMember (RFC 7519 §4, RFC 8725 §3.4: one
// consistent reading for every party); other problems, including nesting
// deeper than jsonMaxDepth, give errJSONSyntax.
func DecodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errJSONSyntax
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errJSONSyntax
	}
	if err := jsonCheckNames(data); err != nil {
		return nil, err
	}
	return m, nil
}

// jsonFrame is one open object or array of jsonCheckNames.
type jsonFrame struct {
	object bool
	// start indexes the frame's first member name in the shared list.
	start int
	// wantName: the next string of this object is a member name.
	wantName bool
	// set replaces the linear search once an object has many members.
	set map[string]bool
}

// jsonCheckNames scans valid JSON for a member name repeated within one
// object, and for nesting deeper than jsonMaxDepth. Names are compared
// after unescaping (only names with a backslash or a non-ASCII byte are
// unescaped, exactly as encoding/json does, so "s\u0075b" equals "sub").
// It allocates nothing for the usual small objects.
func jsonCheckNames(data []byte) error {
	frames := make([]jsonFrame, 0, 8)
	names := make([][]byte, 0, 32)
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '{', '[':
			if len(frames) >= jsonMaxDepth {
				return errJSONSyntax
			}
			frames = append(frames, jsonFrame{object: c == '{', start: len(names), wantName: c == '{'})
		case '}', ']':
			if len(frames) == 0 {
				return errJSONSyntax
			}
			names = names[:frames[len(frames)-1].start]
			frames = frames[:len(frames)-1]
		case ',':
			if len(frames) > 0 && frames[len(frames)-1].object {
				frames[len(frames)-1].wantName = true
			}
		case '"':
			j := i + 1
			plain := true
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
					plain = false
				} else if data[j] >= 0x80 {
					plain = false
				}
				j++
			}
			if j >= len(data) {
				return errJSONSyntax
			}
			if len(frames) > 0 && frames[len(frames)-1].wantName {
				f := &frames[len(frames)-1]
				f.wantName = false
				name := data[i+1 : j]
				if !plain {
					var s string
					if json.Unmarshal(data[i:j+1], &s) != nil {
						return errJSONSyntax
					}
					name = []byte(s)
				}
				if jsonSeen(f, names, name) {
					return ErrDuplicateMember
				}
				names = append(names, name)
			}
			i = j
		}
	}
	return nil
}

// jsonSeen reports whether name is among the names of object f, and
// switches f to a set when it grows large.
func jsonSeen(f *jsonFrame, names [][]byte, name []byte) bool {
	if f.set != nil {
		if f.set[string(name)] {
			return true
		}
		f.set[string(name)] = true
		return false
	}
	own := names[f.start:]
	for k := 0; k < len(own); k++ {
		if bytes.Equal(own[k], name) {
			return true
		}
	}
	if len(own) >= 16 {
		f.set = make(map[string]bool, 2*len(own))
		for k := 0; k < len(own); k++ {
			f.set[string(own[k])] = true
		}
		f.set[string(name)] = true
	}
	return false
}

// Families of signature algorithms.
const (
	jwsRSA = iota + 1
	jwsPSS
	jwsEC
	jwsEd
	jwsHMAC
)

// jwsAlg describes one JWA signature algorithm.
type jwsAlg struct {
	name    string
	family  int
	hash    crypto.Hash
	newHash func() hash.Hash
	// crv is the curve an EC or OKP key must have.
	crv string
	// size is the length of an ECDSA signature half, or of an HMAC output.
	size int
}

func (a *jwsAlg) asymmetric() bool { return a.family != jwsHMAC }

// jwsAlgs are the supported algorithms, by name. "none" is not
// among them; ES512 (P-521) and RSA1_5-style encryption algs are unknown.
var jwsAlgs = map[string]*jwsAlg{
	"RS256": &jwsAlg{name: "RS256", family: jwsRSA, hash: crypto.SHA256, newHash: sha256.New},
	"RS384": &jwsAlg{name: "RS384", family: jwsRSA, hash: crypto.SHA384, newHash: sha512.New384},
	"RS512": &jwsAlg{name: "RS512", family: jwsRSA, hash: crypto.SHA512, newHash: sha512.New},
	"PS256": &jwsAlg{name: "PS256", family: jwsPSS, hash: crypto.SHA256, newHash: sha256.New},
	"PS384": &jwsAlg{name: "PS384", family: jwsPSS, hash: crypto.SHA384, newHash: sha512.New384},
	"PS512": &jwsAlg{name: "PS512", family: jwsPSS, hash: crypto.SHA512, newHash: sha512.New},
	"ES256": &jwsAlg{name: "ES256", family: jwsEC, hash: crypto.SHA256, newHash: sha256.New, crv: "P-256", size: 32},
	"ES384": &jwsAlg{name: "ES384", family: jwsEC, hash: crypto.SHA384, newHash: sha512.New384, crv: "P-384", size: 48},
	"EdDSA": &jwsAlg{name: "EdDSA", family: jwsEd, crv: "Ed25519"},
	"HS256": &jwsAlg{name: "HS256", family: jwsHMAC, hash: crypto.SHA256, newHash: sha256.New, size: 32},
	"HS384": &jwsAlg{name: "HS384", family: jwsHMAC, hash: crypto.SHA384, newHash: sha512.New384, size: 48},
	"HS512": &jwsAlg{name: "HS512", family: jwsHMAC, hash: crypto.SHA512, newHash: sha512.New, size: 64},
}

// jwsAlgOrder is the canonical order of jwsAlgs, for defaults and messages.
var jwsAlgOrder = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA", "HS256", "HS384", "HS512"}

// Key is one verification key. Exactly one of rsa, ec, ed, hmac is set.
type Key struct {
	// kid is the JWK "kid"; empty for PEM keys and hmac_secret.
	kid string
	// alg, when set (JWK "alg"), is the only algorithm the key accepts.
	alg string
	// kty is "RSA", "EC", "OKP" or "oct"; crv is "P-256", "P-384" or
	// "Ed25519" for EC and OKP keys.
	kty  string
	crv  string
	rsa  *rsa.PublicKey
	ec   *ecdsa.PublicKey
	ed   ed25519.PublicKey
	hmac []byte
}

// accepts binds algorithms to key types (RFC 8725 §3.1): an RSA key only
// RS*/PS*, P-256 only ES256, P-384 only ES384, Ed25519 only EdDSA, an HMAC
// secret only HS*; a JWK "alg" narrows this to one algorithm.
func (k *Key) accepts(a *jwsAlg) bool {
	if k.alg != "" && k.alg != a.name {
		return false
	}
	switch a.family {
	case jwsRSA, jwsPSS:
		return k.rsa != nil
	case jwsEC:
		return k.ec != nil && k.crv == a.crv
	case jwsEd:
		return k.ed != nil
	case jwsHMAC:
		return k.hmac != nil && len(k.hmac) >= a.size
	}
	return false
}

var jwsPSSVerify = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}

// jwsVerify checks sig over input with key k under algorithm a. The caller
// has checked k.accepts(a).
func jwsVerify(a *jwsAlg, k *Key, input string, sig []byte) bool {
	if len(sig) == 0 {
		return false
	}
	if a.family == jwsEd {
		return len(sig) == ed25519.SignatureSize && len(k.ed) == ed25519.PublicKeySize &&
			ed25519.Verify(k.ed, []byte(input), sig)
	}
	if a.family == jwsHMAC {
		mac := hmac.New(a.newHash, k.hmac)
		io.WriteString(mac, input)
		return hmac.Equal(mac.Sum(nil), sig)
	}
	h := a.newHash()
	io.WriteString(h, input)
	digest := h.Sum(nil)
	switch a.family {
	case jwsRSA:
		return rsa.VerifyPKCS1v15(k.rsa, a.hash, digest, sig) == nil
	case jwsPSS:
		return rsa.VerifyPSS(k.rsa, a.hash, digest, sig, jwsPSSVerify) == nil
	case jwsEC:
		der := jwsECDER(sig, a.size)
		return der != nil && ecdsa.VerifyASN1(k.ec, digest, der)
	}
	return false
}

// jwsECDER turns a JWS ECDSA signature (R || S, each exactly size bytes,
// RFC 7518 §3.4) into the ASN.1 DER form crypto/ecdsa verifies. It returns
// nil for a wrong length or a zero R or S.
func jwsECDER(sig []byte, size int) []byte {
	if len(sig) != 2*size {
		return nil
	}
	r := jwsDERInt(sig[:size])
	s := jwsDERInt(sig[size:])
	if r == nil || s == nil {
		return nil
	}
	out := make([]byte, 0, 2+len(r)+len(s))
	out = append(out, 0x30, byte(len(r)+len(s))) // short form: at most 2*(2+1+48) bytes
	out = append(out, r...)
	return append(out, s...)
}

// jwsDERInt encodes a big-endian unsigned integer as a DER INTEGER; nil
// when it is zero.
func jwsDERInt(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] == 0 {
		i++
	}
	if i == len(b) {
		return nil
	}
	b = b[i:]
	n := len(b)
	pad := b[0]&0x80 != 0
	if pad {
		n++
	}
	out := make([]byte, 0, 2+n)
	out = append(out, 0x02, byte(n))
	if pad {
		out = append(out, 0)
	}
	return append(out, b...)
}

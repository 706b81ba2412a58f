// Package jose implements the parts of JOSE that aclgate needs, with the
// standard library's crypto only: compact JWS decoding and signature
// verification (RFC 7515, 7518, 8037), JWK and JWK Set parsing (RFC 7517),
// PEM public keys, RFC 7638 thumbprints, a background JWKS fetcher, JWT
// claim checks (RFC 7519: exp, nbf, iat, iss, aud) and signing.
//
// A [Verifier] is built once from a [Config] — one key source (a JWKS URL
// or file, a PEM file, an HMAC secret or keys given directly), the
// accepted algorithms, issuer, audience and leeway — and [Verify] checks a
// token against it on every request. Algorithms are bound to key types
// (RFC 8725 §3.1); "none" never verifies. A [Signer] signs tokens for the
// token endpoint and publishes its public key with [JWKSDocument].
//
// The package knows nothing about users or rules; mapping claims to a
// caller is package core's job. It imports only the standard library and
// stays within the Go subset yaegi interprets.
package jose

// Package token is aclgate's OAuth 2.0 client-credentials token endpoint
// (RFC 6749 §4.4, access tokens per RFC 9068), the authorization server of
// the AWS API Gateway flow: an [Issuer] answers POST token_path with a
// signed JWT for a registered client, GET jwks_path with its public keys,
// and GET tokeninfo_path with the claims of one of its tokens (so the
// authorizer can use it as a userinfo URL). Other paths are left to the
// next handler.
//
// Signing and verification come from package jose; the package imports
// nothing else but the standard library, and stays within the Go subset
// yaegi interprets, since the Traefik plugin serves the endpoint too.
package token

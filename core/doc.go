// Package core is aclgate's authorization engine: everything the Caddy module
// and the Traefik plugin decide happens here, once, so that both gateways
// agree byte for byte. An adapter needs only this package to authorize
// requests (and package token for the token endpoint).
//
// An [Authorizer], built by [New] from a [Config], takes a request through
// four steps:
//
//  1. anti-spoofing: identity headers the client sent, in any spelling,
//     are removed;
//  2. identity: the caller is resolved from a userinfo call (with an
//     optional cache), a JWT verified locally (package jose) or headers
//     set by a trusted edge;
//  3. rule: the request path is canonicalised (percent-decoding, dot
//     segments, repeated slashes; ambiguous paths are refused with 400) and
//     the most specific rule for it and the method is looked up (package
//     rules);
//  4. decision: the rule's compiled expression runs (package expr) and the
//     status and mia-* headers follow from the decision table — 401 for an
//     anonymous caller or an unknown route, 403 for a known one, or 200
//     with mia-allowed 0 when not strict.
//
// The sub-packages import one way: core → rules → expr, core → jose,
// token → jose; none imports core (`make vet` checks it).
//
// All parsing (rules, expressions, keys, durations) happens in [New]; the
// request path only walks precompiled rule tables and expression trees,
// written to run fast under yaegi too (CONTRIBUTING.md, "Performance under
// yaegi").
//
// The package imports only the standard library and stays within the Go
// subset that yaegi v0.16.1 interprets, because Traefik loads it as source:
// no generics, no range-over-int, no min/max, no errors.As, loop variables
// copied before capture, type assertions rather than type switches on
// interpreted types.
package core

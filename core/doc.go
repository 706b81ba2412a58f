// Package core is aclgate's authorization engine: everything the Caddy module
// and the Traefik plugin do happens here, once, so that both gateways agree
// byte for byte.
//
// A request goes through four steps (see SPEC.md):
//
//  1. anti-spoofing: identity headers the client sent are removed (§5.1);
//  2. identity: the caller is resolved from a userinfo call, a JWT or trusted
//     headers (§2);
//  3. rule: the most specific rule for the canonical path and method is picked
//     (§3, §6.1);
//  4. decision: the compiled ACL expression is run and the status and mia-*
//     headers are derived from the decision table (§4, §5).
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

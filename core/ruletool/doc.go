// Package ruletool is aclgate's rules tooling, the one implementation
// behind `caddy authz lint|explain|test` and the standalone `aclgate`
// command:
//
//   - [Lint] finds the mistakes a rules file can hold and still load:
//     backoffice-only blocks that let a frontend request fall through to a
//     less specific key, two names for the parameter at one position,
//     constant expressions, public rules whose expression needs a user,
//     blocks no request reaches, two spellings of one key;
//   - [Explain] shows how a request is decided: the canonical path, every
//     matching key in order of specificity, the chosen block, the
//     expression and its value, and the status in both columns (strict
//     and non-strict) of the decision table;
//   - [RunCases] runs a file of requests with identities and expected
//     outcomes and reports every difference.
//
// Requests are decided by core's Authorizer itself (the identity is given
// to it as trusted identity headers), so the tools and the gateways
// cannot disagree. [Main] is the command line of both front doors. The
// package is stdlib-only and yaegi-safe, like the rest of core.
package ruletool

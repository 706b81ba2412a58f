// Package expr is aclgate's ACL expression language: the JavaScript-like
// expressions of Mia-Platform's auth.json, such as
//
//	groups.admin || permissions["users:read"]
//	isBackoffice && user.org.team == "core"
//	["admin", "ops"] in groups && clientType != "bot"
//
// An expression is compiled once, when the configuration loads, by
// [Compile], and run on every request by [Run] against an [Env]: the
// caller's groups, permissions and identity document, the client type and
// the backoffice flag — nothing else. The phases live in their own files:
// lex.go turns the source into tokens, parse.go builds a small syntax tree,
// compile.go folds constants and turns the tree into opcode nodes, and
// eval.go walks those nodes with plain functions, without parsing,
// reflection or (for the usual shapes) allocation.
//
// The package knows nothing about HTTP or rules. It imports only the
// standard library and stays within the Go subset that yaegi v0.16.1
// interprets, because Traefik loads it as source; the hot functions are
// written for the interpreter as much as for the compiler (see
// CONTRIBUTING.md, "Performance under yaegi").
package expr

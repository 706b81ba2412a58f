// Package rules loads and matches aclgate's authorization rules: Mia's
// auth.json format (a path key, a method, then an authorization and/or a
// backofficeAuthorization block of {expression, public}) and inline rules.
//
// [Load] reads a [Source] strictly — unknown fields, duplicate keys, bad
// methods, bad path keys and expressions that do not compile are errors
// that name the source, the path, the method, the field and, for
// expressions, the column — and compiles it into an immutable [Set].
// [Lookup] then picks, for a canonical request path, a method and the
// backoffice flag, the [Authorization] that decides:
//
//   - a key without a trailing "/" matches exactly that path; ":name" or
//     "{name}" matches one non-empty segment; a key with a trailing "/"
//     matches that path, with or without the slash, and everything below;
//   - the most specific key wins: segment by segment a literal beats a
//     parameter, then a longer key beats a shorter one, then an exact key
//     beats a prefix key;
//   - at that key the request method's block applies, else ALL, else for
//     HEAD the GET block; a backoffice request takes backofficeAuthorization
//     when the block has one, a frontend request only authorization; a key
//     with no applicable block passes the request to the next key.
//
// Expressions are compiled by package expr. Rules know nothing about HTTP
// or identity: canonicalising the request path and running the expression
// are the caller's job. The package imports only the standard library and
// expr, and stays within the Go subset yaegi interprets.
package rules

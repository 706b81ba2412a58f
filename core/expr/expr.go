package expr

import "strconv"

// Expression is a compiled ACL expression. It is safe for
// concurrent use; Run does no parsing, no reflection and, for the usual
// shapes, no allocation.
//
// The language is JavaScript-like:
//
//   - literals: true, false, null, decimal numbers (12, 1.5, -3), strings in
//     "…" or '…' (escapes \" \' \\ \/ \b \f \n \r \t \v \uXXXX \u{X…}),
//     arrays ["a", "b"]; parentheses;
//   - ! (highest), then == != === !== in, then &&, then || (lowest);
//     comparisons chain to the left;
//   - groups.NAME, groups["NAME"]: the user is in group NAME;
//     permissions.NAME, permissions["a:b"], permissions.api.users.get (the
//     dotted rest is one name, "api.users.get"): the user holds it;
//   - clientType: the client-type header, "" when absent; isBackoffice;
//   - user.FIELD, user.a.b, user["x-y"], user.list[0]: a property of the
//     user's identity document, null when missing; user alone is the whole
//     document as an object, or null for the anonymous caller;
//   - x in groups / x in permissions: x a string, or an array meaning "any
//     of"; bare groups and permissions are valid only there. x in ARRAY is
//     membership by deep equality, "k" in OBJECT is key presence, any other
//     right operand yields false.
//
// Semantics: == and === are the same strict comparison (no coercion; values
// of different kinds are unequal; null == null; arrays and objects compare by
// deep equality); != and !== are its negation. Truthiness is JavaScript's:
// false, null, "", 0 and NaN are falsy, everything else (also [] and {}) is
// truthy. && and || short-circuit and yield a boolean, the truthiness of
// JavaScript's result ("a" || "b" is true, not "a"). The anonymous caller has
// no groups, no permissions and no properties.
type Expression struct {
	src  string
	code *exprCode // a boolean node; nil for the zero Expression
}

// Compile compiles src. Errors are *Error and carry the
// 1-based column of the problem: a syntax error, an unknown identifier, an
// empty expression, nesting deeper than 100 levels or a source longer than
// 4096 bytes. It never panics.
func Compile(src string) (*Expression, error) {
	n, perr := parseExpr(src)
	if perr != nil {
		return nil, perr
	}
	code, cerr := compileExpr(n)
	if cerr != nil {
		return nil, cerr
	}
	return &Expression{src: src, code: code}, nil
}

// Run evaluates e in env and reports whether its value is truthy. A nil
// env is the anonymous caller with no client type, outside the backoffice;
// a nil or zero Expression evaluates to false. Run is a plain function, not
// a method, because under yaegi an interpreted method call costs several
// times a function call.
func Run(e *Expression, env *Env) bool {
	if e == nil || e.code == nil {
		return false
	}
	if env == nil {
		return exprTruth(e.code, anonymousEnv)
	}
	return exprTruth(e.code, env)
}

// RunSets evaluates e from the caller's groups and permissions alone when
// that is all e reads — the most common shape, such as `groups.admin ||
// permissions["users:read"]` — and reports ok. Otherwise ok is false and
// the caller must use Run with a whole Env. It spares interpreters
// (Traefik's yaegi) the cost of building an Env for the usual rule.
func RunSets(e *Expression, groups, permissions []string) (value, ok bool) {
	if e == nil || e.code == nil || e.code.op != opAny {
		return false, false
	}
	return exprAny(e.code, groups, permissions), true
}

// anonymousEnv is used when Run is given a nil Env.
var anonymousEnv = &Env{}

// Constant reports whether e always has the same value, and which. A rule
// whose expression is the constant true needs no evaluation at all.
func (e *Expression) Constant() (value, ok bool) {
	if e == nil || e.code == nil || e.code.op != opConst {
		return false, false
	}
	return e.code.b, true
}

// String returns the source text.
func (e *Expression) String() string {
	if e == nil {
		return ""
	}
	return e.src
}

// Error is a compile error of an expression.
type Error struct {
	// Column is 1-based, counted in bytes.
	Column int
	// Msg describes the problem and names the offending token.
	Msg string
}

// Error returns "column N: msg".
func (e *Error) Error() string { return "column " + strconv.Itoa(e.Column) + ": " + e.Msg }

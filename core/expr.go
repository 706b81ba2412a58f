package core

// Expression is a compiled ACL expression (SPEC §7). It is safe for
// concurrent use; Eval does no parsing, no reflection and, for the usual
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

// CompileExpression compiles src. Errors are *ExprError and carry the
// 1-based column of the problem: a syntax error, an unknown identifier, an
// empty expression, nesting deeper than 100 levels or a source longer than
// 4096 bytes. It never panics.
func CompileExpression(src string) (*Expression, error) {
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

// exprAnonymousEnv is used when Eval is given a nil Env.
var exprAnonymousEnv = &Env{User: &User{}}

// Eval runs the expression and reports whether its value is truthy. A nil
// env, or one with a nil User, is treated as the anonymous caller; a nil or
// zero Expression evaluates to false.
func (e *Expression) Eval(env *Env) bool {
	if e == nil || e.code == nil {
		return false
	}
	if env == nil || env.User == nil {
		return exprEvalAnonymous(e.code, env)
	}
	return exprTruth(e.code, env)
}

// exprEvalAnonymous runs code for a nil env or one without a User.
func exprEvalAnonymous(code *exprCode, env *Env) bool {
	if env == nil {
		return exprTruth(code, exprAnonymousEnv)
	}
	cp := *env
	cp.User = exprAnonymousEnv.User
	return exprTruth(code, &cp)
}

// String returns the source text.
func (e *Expression) String() string {
	if e == nil {
		return ""
	}
	return e.src
}

// ExprError is a compile error of an expression.
type ExprError struct {
	// Column is 1-based, counted in bytes.
	Column int
	// Msg describes the problem and names the offending token.
	Msg string
}

// Error returns "column N: msg".
func (e *ExprError) Error() string { return "column " + itoa(e.Column) + ": " + e.Msg }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

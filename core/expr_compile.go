package core

import (
	"encoding/json"
	"math"
	"strconv"
)

// This file compiles the AST of expr_parse.go into a tree of closures. The
// closures do no parsing, no reflection and no lookups of identifiers; the
// common shapes (groups.X, permissions["a:b"], clientType == "x", && || !
// over booleans, "x" in groups) compile to closures that return a bool
// directly and do not allocate. Subtrees made only of literals are folded
// into constants.

// exprKind is the dynamic type of a value.
type exprKind uint8

const (
	exprNull exprKind = iota
	exprBool
	exprString
	exprNumber
	exprArray  // raw is []any or []string
	exprObject // raw is map[string]any
)

// exprValue is the result of evaluating a sub-expression. It is passed by value,
// so producing one does not allocate.
type exprValue struct {
	kind exprKind
	b    bool
	n    float64
	s    string
	raw  any // array and object
}

// truthy reports JavaScript truthiness: false, null, "", 0 and NaN are
// falsy; everything else, empty arrays and objects included, is truthy.
func (v exprValue) truthy() bool {
	switch v.kind {
	case exprBool:
		return v.b
	case exprString:
		return v.s != ""
	case exprNumber:
		return v.n != 0 && !math.IsNaN(v.n)
	case exprArray, exprObject:
		return true
	}
	return false
}

// exprValueOf converts a user property (a JSON-decoded value) to a value.
// json.Number and Go integer and float types become numbers, []any and
// []string arrays, map[string]any objects; any other type is null.
func exprValueOf(x any) exprValue {
	if x == nil {
		return exprValue{}
	}
	if s, ok := x.(string); ok {
		return exprValue{kind: exprString, s: s}
	}
	if f, ok := x.(float64); ok {
		return exprValue{kind: exprNumber, n: f}
	}
	if b, ok := x.(bool); ok {
		return exprValue{kind: exprBool, b: b}
	}
	if _, ok := x.(map[string]any); ok {
		return exprValue{kind: exprObject, raw: x}
	}
	if _, ok := x.([]any); ok {
		return exprValue{kind: exprArray, raw: x}
	}
	if n, ok := x.(json.Number); ok {
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return exprValue{}
		}
		return exprValue{kind: exprNumber, n: f}
	}
	if _, ok := x.([]string); ok {
		return exprValue{kind: exprArray, raw: x}
	}
	if i, ok := x.(int); ok {
		return exprValue{kind: exprNumber, n: float64(i)}
	}
	if i, ok := x.(int64); ok {
		return exprValue{kind: exprNumber, n: float64(i)}
	}
	if i, ok := x.(int32); ok {
		return exprValue{kind: exprNumber, n: float64(i)}
	}
	if i, ok := x.(uint64); ok {
		return exprValue{kind: exprNumber, n: float64(i)}
	}
	if i, ok := x.(uint); ok {
		return exprValue{kind: exprNumber, n: float64(i)}
	}
	if f, ok := x.(float32); ok {
		return exprValue{kind: exprNumber, n: float64(f)}
	}
	return exprValue{}
}

// exprToAny converts a value back to the JSON-like Go representation (used to
// build array literals).
func exprToAny(v exprValue) any {
	switch v.kind {
	case exprBool:
		return v.b
	case exprString:
		return v.s
	case exprNumber:
		return v.n
	case exprArray, exprObject:
		return v.raw
	}
	return nil
}

func exprArrayLen(raw any) int {
	if a, ok := raw.([]any); ok {
		return len(a)
	}
	if a, ok := raw.([]string); ok {
		return len(a)
	}
	return 0
}

func exprArrayAt(raw any, i int) exprValue {
	if a, ok := raw.([]any); ok {
		return exprValueOf(a[i])
	}
	if a, ok := raw.([]string); ok {
		return exprValue{kind: exprString, s: a[i]}
	}
	return exprValue{}
}

// exprEqual is == and ===: values of different kinds are unequal, null
// equals null, numbers compare as IEEE floats, arrays and objects compare
// by deep equality.
func exprEqual(a, b exprValue) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case exprNull:
		return true
	case exprBool:
		return a.b == b.b
	case exprString:
		return a.s == b.s
	case exprNumber:
		return a.n == b.n
	case exprArray:
		n := exprArrayLen(a.raw)
		if n != exprArrayLen(b.raw) {
			return false
		}
		for i := 0; i < n; i++ {
			if !exprEqual(exprArrayAt(a.raw, i), exprArrayAt(b.raw, i)) {
				return false
			}
		}
		return true
	case exprObject:
		ma, _ := a.raw.(map[string]any)
		mb, _ := b.raw.(map[string]any)
		if len(ma) != len(mb) {
			return false
		}
		for k, x := range ma {
			y, ok := mb[k]
			if !ok || !exprEqual(exprValueOf(x), exprValueOf(y)) {
				return false
			}
		}
		return true
	}
	return false
}

// exprIn is x in y for ordinary values: membership (deep equality) when y
// is an array, key presence when y is an object and x a string, else false.
func exprIn(x, y exprValue) bool {
	switch y.kind {
	case exprArray:
		if arr, ok := y.raw.([]any); ok {
			for i := 0; i < len(arr); i++ {
				if exprEqual(x, exprValueOf(arr[i])) {
					return true
				}
			}
			return false
		}
		n := exprArrayLen(y.raw)
		for i := 0; i < n; i++ {
			if exprEqual(x, exprArrayAt(y.raw, i)) {
				return true
			}
		}
	case exprObject:
		if x.kind != exprString {
			return false
		}
		m, _ := y.raw.(map[string]any)
		_, ok := m[x.s]
		return ok
	}
	return false
}

type exprBoolFn func(env *Env) bool
type exprStringFn func(env *Env) string
type exprValueFn func(env *Env) exprValue

// exprCompiled is a compiled sub-expression. v is always set; b is set when the
// result is always a bool, s when it is always a string; isConst when the
// result does not depend on the Env (c holds it).
type exprCompiled struct {
	isConst bool
	c       exprValue
	b       exprBoolFn
	s       exprStringFn
	v       exprValueFn
	a       exprAnyFn // user properties: the raw property, nil when missing
}

// exprAnyFn returns a raw (JSON-decoded) user property.
type exprAnyFn func(env *Env) any

// exprAlwaysTrue and exprAlwaysFalse are variables holding closures, not
// functions: yaegi cannot return a top-level func as a named func type.
var (
	exprAlwaysTrue  exprBoolFn = func(*Env) bool { return true }
	exprAlwaysFalse exprBoolFn = func(*Env) bool { return false }
)

func exprConst(c exprValue) *exprCompiled {
	return &exprCompiled{isConst: true, c: c, v: func(*Env) exprValue { return c }}
}

func exprConstBool(b bool) *exprCompiled { return exprConst(exprValue{kind: exprBool, b: b}) }

func exprBoolOf(f exprBoolFn) *exprCompiled {
	return &exprCompiled{b: f, v: func(env *Env) exprValue { return exprValue{kind: exprBool, b: f(env)} }}
}

func exprStringOf(f exprStringFn) *exprCompiled {
	return &exprCompiled{s: f, v: func(env *Env) exprValue { return exprValue{kind: exprString, s: f(env)} }}
}

// truth returns a closure computing the truthiness of c.
func (c *exprCompiled) truth() exprBoolFn {
	if c.isConst {
		if c.c.truthy() {
			return exprAlwaysTrue
		}
		return exprAlwaysFalse
	}
	if c.b != nil {
		return c.b
	}
	if c.s != nil {
		s := c.s
		return func(env *Env) bool { return s(env) != "" }
	}
	v := c.v
	return func(env *Env) bool { return v(env).truthy() }
}

// compileExprNode turns an AST node into closures.
func compileExprNode(n *exprNode) (*exprCompiled, *ExprError) {
	switch n.kind {
	case xnLiteral:
		return exprConst(n.lit), nil
	case xnArray:
		return compileExprArray(n)
	case xnNot:
		x, err := compileExprNode(n.kids[0])
		if err != nil {
			return nil, err
		}
		if x.isConst {
			return exprConstBool(!x.c.truthy()), nil
		}
		t := x.truth()
		return exprBoolOf(func(env *Env) bool { return !t(env) }), nil
	case xnAnd, xnOr:
		return compileExprLogic(n)
	case xnEq, xnNe:
		return compileExprEq(n)
	case xnIn:
		return compileExprIn(n)
	case xnGroup:
		name := n.name
		return exprBoolOf(func(env *Env) bool { return env.User.InGroup(name) }), nil
	case xnPerm:
		name := n.name
		return exprBoolOf(func(env *Env) bool { return env.User.HasPermission(name) }), nil
	case xnGroups, xnPerms:
		return nil, exprErr(n.pos, strconv.Quote(n.text)+` can only be used as the right operand of "in" (did you mean `+n.text+`.NAME?)`)
	case xnClientType:
		return exprStringOf(func(env *Env) string { return env.ClientType }), nil
	case xnIsBackoffice:
		return exprBoolOf(func(env *Env) bool { return env.IsBackoffice }), nil
	case xnUser:
		return compileExprUser(n), nil
	}
	return nil, exprErr(n.pos, "unexpected "+strconv.Quote(n.text))
}

func compileExprArray(n *exprNode) (*exprCompiled, *ExprError) {
	elems := make([]*exprCompiled, 0, len(n.kids))
	allConst := true
	for _, k := range n.kids {
		c, err := compileExprNode(k)
		if err != nil {
			return nil, err
		}
		elems = append(elems, c)
		if !c.isConst {
			allConst = false
		}
	}
	if allConst {
		arr := make([]any, len(elems))
		for i, c := range elems {
			arr[i] = exprToAny(c.c)
		}
		return exprConst(exprValue{kind: exprArray, raw: arr}), nil
	}
	fns := make([]exprValueFn, len(elems))
	for i, c := range elems {
		fns[i] = c.v
	}
	// A non-constant array literal is rare; it allocates when evaluated.
	return &exprCompiled{v: func(env *Env) exprValue {
		arr := make([]any, len(fns))
		for i := 0; i < len(fns); i++ {
			arr[i] = exprToAny(fns[i](env))
		}
		return exprValue{kind: exprArray, raw: arr}
	}}, nil
}

// compileExprLogic compiles a flattened && or || chain. Both operators
// short-circuit and yield a boolean: the truthiness of the JavaScript
// result, so ("a" || "b") is true, not "a".
func compileExprLogic(n *exprNode) (*exprCompiled, *ExprError) {
	isAnd := n.kind == xnAnd
	var fns []exprBoolFn
	decided := false // a constant operand fixes the result
	for _, k := range n.kids {
		c, err := compileExprNode(k) // every operand is compiled, to report errors
		if err != nil {
			return nil, err
		}
		if !c.isConst {
			fns = append(fns, c.truth())
		} else if c.c.truthy() != isAnd {
			// false in &&, true in ||: since operands have no side effects,
			// the whole chain is this constant.
			decided = true
		}
		// true in &&, false in ||: no effect.
	}
	if decided {
		return exprConstBool(!isAnd), nil
	}
	switch len(fns) {
	case 0:
		return exprConstBool(isAnd), nil
	case 1:
		return exprBoolOf(fns[0]), nil
	case 2:
		a, b := fns[0], fns[1]
		if isAnd {
			return exprBoolOf(func(env *Env) bool { return a(env) && b(env) }), nil
		}
		return exprBoolOf(func(env *Env) bool { return a(env) || b(env) }), nil
	}
	if isAnd {
		return exprBoolOf(func(env *Env) bool {
			for i := 0; i < len(fns); i++ {
				if !fns[i](env) {
					return false
				}
			}
			return true
		}), nil
	}
	return exprBoolOf(func(env *Env) bool {
		for i := 0; i < len(fns); i++ {
			if fns[i](env) {
				return true
			}
		}
		return false
	}), nil
}

func compileExprEq(n *exprNode) (*exprCompiled, *ExprError) {
	l, err := compileExprNode(n.kids[0])
	if err != nil {
		return nil, err
	}
	r, err := compileExprNode(n.kids[1])
	if err != nil {
		return nil, err
	}
	eq := compileExprEqBool(l, r)
	if eq.isConst {
		if n.kind == xnNe {
			return exprConstBool(!eq.c.b), nil
		}
		return eq, nil
	}
	if n.kind == xnNe {
		f := eq.b
		return exprBoolOf(func(env *Env) bool { return !f(env) }), nil
	}
	return eq, nil
}

// compileExprEqBool compiles l == r into a bool closure (or a constant).
func compileExprEqBool(l, r *exprCompiled) *exprCompiled {
	if l.isConst && r.isConst {
		return exprConstBool(exprEqual(l.c, r.c))
	}
	if l.isConst {
		l, r = r, l // the constant, if any, is now r
	}
	if r.isConst {
		k := r.c
		switch {
		case l.s != nil:
			if k.kind != exprString {
				return exprConstBool(false)
			}
			s, ks := l.s, k.s
			return exprBoolOf(func(env *Env) bool { return s(env) == ks })
		case l.a != nil && k.kind == exprString:
			get, ks := l.a, k.s
			return exprBoolOf(func(env *Env) bool {
				x, ok := get(env).(string)
				return ok && x == ks
			})
		case l.a != nil && k.kind == exprNumber:
			get, kn := l.a, k.n
			return exprBoolOf(func(env *Env) bool {
				x := get(env)
				if f, ok := x.(float64); ok {
					return f == kn
				}
				v := exprValueOf(x)
				return v.kind == exprNumber && v.n == kn
			})
		case l.a != nil && k.kind == exprBool:
			get, kb := l.a, k.b
			return exprBoolOf(func(env *Env) bool {
				x, ok := get(env).(bool)
				return ok && x == kb
			})
		case l.b != nil:
			if k.kind != exprBool {
				return exprConstBool(false)
			}
			if k.b {
				return exprBoolOf(l.b)
			}
			b := l.b
			return exprBoolOf(func(env *Env) bool { return !b(env) })
		}
		v := l.v
		return exprBoolOf(func(env *Env) bool { return exprEqual(v(env), k) })
	}
	switch {
	case l.b != nil && r.b != nil:
		a, b := l.b, r.b
		return exprBoolOf(func(env *Env) bool { return a(env) == b(env) })
	case l.s != nil && r.s != nil:
		a, b := l.s, r.s
		return exprBoolOf(func(env *Env) bool { return a(env) == b(env) })
	case (l.b != nil && r.s != nil) || (l.s != nil && r.b != nil):
		return exprConstBool(false)
	}
	a, b := l.v, r.v
	return exprBoolOf(func(env *Env) bool { return exprEqual(a(env), b(env)) })
}

func compileExprIn(n *exprNode) (*exprCompiled, *ExprError) {
	left, err := compileExprNode(n.kids[0])
	if err != nil {
		return nil, err
	}
	rn := n.kids[1]
	if rn.kind == xnGroups || rn.kind == xnPerms {
		return compileExprInSet(left, rn.kind == xnGroups), nil
	}
	right, err := compileExprNode(rn)
	if err != nil {
		return nil, err
	}
	if left.isConst && right.isConst {
		return exprConstBool(exprIn(left.c, right.c)), nil
	}
	if left.isConst && left.c.kind == exprString && right.a != nil {
		// "x" in user.list / "k" in user.obj, without building values.
		get, k, kv := right.a, left.c.s, left.c
		return exprBoolOf(func(env *Env) bool {
			y := get(env)
			if arr, ok := y.([]any); ok {
				for i := 0; i < len(arr); i++ {
					if s, ok := arr[i].(string); ok && s == k {
						return true
					}
				}
				return false
			}
			if m, ok := y.(map[string]any); ok {
				_, ok = m[k]
				return ok
			}
			return exprIn(kv, exprValueOf(y))
		}), nil
	}
	if right.isConst {
		k := right.c
		if k.kind != exprArray && k.kind != exprObject {
			return exprConstBool(false), nil
		}
		if list, ok := exprStringList(k); ok && left.s != nil {
			s := left.s
			return exprBoolOf(func(env *Env) bool { return contains(list, s(env)) }), nil
		}
		v := left.v
		return exprBoolOf(func(env *Env) bool { return exprIn(v(env), k) }), nil
	}
	a, b := left.v, right.v
	return exprBoolOf(func(env *Env) bool { return exprIn(a(env), b(env)) }), nil
}

// exprStringList returns the elements of a constant array when they are all
// strings.
func exprStringList(k exprValue) ([]string, bool) {
	if k.kind != exprArray {
		return nil, false
	}
	n := exprArrayLen(k.raw)
	list := make([]string, 0, n)
	for i := 0; i < n; i++ {
		e := exprArrayAt(k.raw, i)
		if e.kind != exprString {
			return nil, false
		}
		list = append(list, e.s)
	}
	return list, true
}

// exprHas reports whether the user is in group name (groups) or holds
// permission name (permissions).
func exprHas(u *User, groups bool, name string) bool {
	if groups {
		return u.InGroup(name)
	}
	return u.HasPermission(name)
}

// compileExprInSet compiles x in groups / x in permissions: a string is looked
// up, an array means "any of its strings"; anything else is false.
func compileExprInSet(left *exprCompiled, groups bool) *exprCompiled {
	if left.isConst {
		k := left.c
		if k.kind == exprString {
			name := k.s
			if groups {
				return exprBoolOf(func(env *Env) bool { return env.User.InGroup(name) })
			}
			return exprBoolOf(func(env *Env) bool { return env.User.HasPermission(name) })
		}
		if k.kind != exprArray {
			return exprConstBool(false)
		}
		var names []string
		n := exprArrayLen(k.raw)
		for i := 0; i < n; i++ {
			if e := exprArrayAt(k.raw, i); e.kind == exprString {
				names = append(names, e.s)
			}
		}
		if len(names) == 0 {
			return exprConstBool(false)
		}
		return exprBoolOf(func(env *Env) bool {
			for i := 0; i < len(names); i++ {
				if exprHas(env.User, groups, names[i]) {
					return true
				}
			}
			return false
		})
	}
	if left.s != nil {
		s := left.s
		return exprBoolOf(func(env *Env) bool { return exprHas(env.User, groups, s(env)) })
	}
	if left.b != nil {
		return exprConstBool(false)
	}
	v := left.v
	return exprBoolOf(func(env *Env) bool {
		x := v(env)
		if x.kind == exprString {
			return exprHas(env.User, groups, x.s)
		}
		if x.kind != exprArray {
			return false
		}
		n := exprArrayLen(x.raw)
		for i := 0; i < n; i++ {
			if e := exprArrayAt(x.raw, i); e.kind == exprString && exprHas(env.User, groups, e.s) {
				return true
			}
		}
		return false
	})
}

// exprEmptyObject is the value of user for a present user without properties.
var exprEmptyObject = map[string]any{}

// compileExprUser compiles user and user.a["b"][0]: a walk of the user's
// properties where a missing key, an index out of range or a step into a
// non-container yields null.
func compileExprUser(n *exprNode) *exprCompiled {
	var get exprAnyFn
	path := n.path
	switch {
	case len(path) == 0:
		get = func(env *Env) any {
			u := env.User
			if u.Anonymous() {
				return nil
			}
			if u.Properties == nil {
				return exprEmptyObject
			}
			return u.Properties
		}
	case len(path) == 1 && !path[0].isIndex:
		key := path[0].key
		get = func(env *Env) any { return env.User.Properties[key] }
	case len(path) == 2 && !path[0].isIndex && !path[1].isIndex:
		k0, k1 := path[0].key, path[1].key
		get = func(env *Env) any {
			m, _ := env.User.Properties[k0].(map[string]any)
			return m[k1]
		}
	default:
		get = func(env *Env) any { return exprWalk(env.User.Properties, path) }
	}
	return &exprCompiled{a: get, v: func(env *Env) exprValue { return exprValueOf(get(env)) }}
}

// exprWalk follows path from props; a missing key, an index out of range or
// a step into a non-container yields nil.
func exprWalk(props map[string]any, path []exprPathElem) any {
	var cur any = props
	for i := 0; i < len(path); i++ {
		p := path[i]
		if !p.isIndex {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[p.key]
			continue
		}
		if arr, ok := cur.([]any); ok {
			if p.index >= len(arr) {
				return nil
			}
			cur = arr[p.index]
			continue
		}
		if arr, ok := cur.([]string); ok && p.index < len(arr) {
			cur = arr[p.index] // rare: allocates
			continue
		}
		return nil
	}
	return cur
}

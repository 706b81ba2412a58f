package expr

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// This file evaluates compiled expressions (compile.go): a small tree
// of exprCode nodes walked by plain functions that switch on an int opcode.
//
// Why not closures: under yaegi (Traefik), calling a func value costs a
// reflect.MakeFunc round trip (~1 µs), and so does every call of an
// interpreted method; a plain function call costs ~0.2 µs plus ~40 ns per
// local slot of the callee, whether that code runs or not. So the hot
// functions here are plain functions kept small, with the rare operators
// in exprTruthMore and exprEval. Compiled, the switch is as fast as the
// closures were, and since nothing is called indirectly an Env on the
// caller's stack does not escape.

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

// exprTruth evaluates a boolean node (every node but the value ones) or,
// through exprTruthRare, the truthiness of any node. Under yaegi a
// function pays for all its locals on each call, so this dispatcher is
// tiny and each family of operators has its own small function.
func exprTruth(c *exprCode, env *Env) bool {
	if c.op == opAny {
		return exprAny(c, env.Groups, env.Permissions)
	}
	if c.op <= opAnd {
		return exprLogic(c, env)
	}
	if c.op <= opConst {
		return exprLeaf(c, env)
	}
	return exprTruthRare(c, env) != c.neg
}

// exprAny evaluates opAny: the user is in one of c.groups or holds one of
// c.perms.
func exprAny(c *exprCode, groups, permissions []string) bool {
	have, want := groups, c.groups
	for k := 0; k < 2; k++ {
		for i := 0; i < len(want); i++ {
			for j := 0; j < len(have); j++ {
				if have[j] == want[i] {
					return !c.neg
				}
			}
		}
		have, want = permissions, c.perms
	}
	return c.neg
}

// exprLogic evaluates opOr and opAnd: the first operand whose truth is
// stop decides. The usual operands are evaluated here rather than through
// exprTruth, which saves calls under yaegi.
func exprLogic(c *exprCode, env *Env) bool {
	stop := c.op == opOr
	var k *exprCode
	var r bool
	for i := 0; i < len(c.kids); i++ {
		k = c.kids[i]
		if k.op == opAny {
			r = exprAny(k, env.Groups, env.Permissions)
		} else if k.op == opBackoffice {
			r = env.IsBackoffice != k.neg
		} else if k.op == opClientType {
			r = contains(k.strs, env.ClientType) != k.neg
		} else {
			r = exprTruth(k, env)
		}
		if r == stop {
			return stop != c.neg
		}
	}
	return stop == c.neg
}

// exprLeaf evaluates opBackoffice, opClientType and opConst.
func exprLeaf(c *exprCode, env *Env) bool {
	if c.op == opBackoffice {
		return env.IsBackoffice != c.neg
	}
	if c.op == opClientType {
		return contains(c.strs, env.ClientType) != c.neg
	}
	return c.b
}

// exprTruthRare evaluates the remaining boolean nodes, ignoring neg, and
// the truthiness of value nodes.
func exprTruthRare(c *exprCode, env *Env) bool {
	if c.op == opUserEq {
		return exprUserEq(c, env)
	}
	if c.op == opUserIn {
		return exprUserIn(c, env)
	}
	return exprTruthValue(c, env)
}

// exprUserEq evaluates opUserEq: the property equals c.c (a string, a
// number or a boolean).
func exprUserEq(c *exprCode, env *Env) bool {
	var x any
	if len(c.path) == 1 && !c.path[0].isIndex {
		x = env.User[c.path[0].key]
	} else {
		x = exprUserGet(c, env)
	}
	if c.c.kind == exprString {
		s, ok := x.(string)
		return ok && s == c.c.s
	}
	if c.c.kind == exprBool {
		b, ok := x.(bool)
		return ok && b == c.c.b
	}
	if f, ok := x.(float64); ok {
		return f == c.c.n
	}
	v := exprValueOf(x)
	return v.kind == exprNumber && v.n == c.c.n
}

// exprUserIn evaluates opUserIn: "k" in user.list / "k" in user.obj,
// without building values.
func exprUserIn(c *exprCode, env *Env) bool {
	var y any
	if len(c.path) == 1 && !c.path[0].isIndex {
		y = env.User[c.path[0].key]
	} else {
		y = exprUserGet(c, env)
	}
	if arr, ok := y.([]any); ok {
		var s string
		for i := 0; i < len(arr); i++ {
			if s, ok = arr[i].(string); ok && s == c.c.s {
				return true
			}
		}
		return false
	}
	return exprUserInOther(c, y)
}

// exprUserInOther is exprUserIn for a property that is not a []any.
func exprUserInOther(c *exprCode, y any) bool {
	if m, ok := y.(map[string]any); ok {
		_, ok = m[c.c.s]
		return ok
	}
	return exprIn(c.c, exprValueOf(y))
}

// exprTruthValue evaluates the general comparisons and the truthiness of
// value nodes.
func exprTruthValue(c *exprCode, env *Env) bool {
	switch c.op {
	case opEq:
		return exprEqual(exprEval(c.kids[0], env), exprEval(c.kids[1], env))
	case opIn:
		return exprIn(exprEval(c.kids[0], env), exprEval(c.kids[1], env))
	case opInConst:
		return exprIn(exprEval(c.kids[0], env), c.c)
	case opInSet:
		return exprInSet(exprEval(c.kids[0], env), env, c.inGroups)
	case opTruthy:
		return exprEval(c.kids[0], env).truthy()
	}
	// a value node: its truthiness
	return exprEval(c, env).truthy()
}

// exprInSet is x in groups (inGroups) or x in permissions: a string is
// looked up, an array means "any of its strings"; anything else is false.
func exprInSet(x exprValue, env *Env, inGroups bool) bool {
	if x.kind == exprString {
		return exprHas(env, inGroups, x.s)
	}
	if x.kind != exprArray {
		return false
	}
	n := exprArrayLen(x.raw)
	for i := 0; i < n; i++ {
		if e := exprArrayAt(x.raw, i); e.kind == exprString && exprHas(env, inGroups, e.s) {
			return true
		}
	}
	return false
}

// exprHas reports whether the user is in group name (groups) or holds
// permission name (permissions).
func exprHas(env *Env, groups bool, name string) bool {
	if groups {
		return contains(env.Groups, name)
	}
	return contains(env.Permissions, name)
}

// exprEval returns the value of any node.
func exprEval(c *exprCode, env *Env) exprValue {
	switch c.op {
	case opConst:
		return c.c
	case opUser:
		return exprValueOf(exprUserGet(c, env))
	case opClientTypeValue:
		// A copy: escape analysis is field-insensitive, so if clientType
		// could reach the heap (an array literal), all of *env would, and
		// the callers' Env and User could not stay on the stack. The usual
		// clientType == "x" is an opClientType node and copies nothing.
		return exprValue{kind: exprString, s: strings.Clone(env.ClientType)}
	case opArray:
		// A non-constant array literal is rare; it allocates.
		arr := make([]any, len(c.kids))
		for i := 0; i < len(c.kids); i++ {
			arr[i] = exprToAny(exprEval(c.kids[i], env))
		}
		return exprValue{kind: exprArray, raw: arr}
	}
	return exprValue{kind: exprBool, b: exprTruth(c, env)}
}

// exprUserGet returns the user property at c.path (user alone: the whole
// document, null for the anonymous caller): a missing key, an index out of
// range or a step into a non-container yields nil.
func exprUserGet(c *exprCode, env *Env) any {
	if len(c.path) == 0 {
		if env.User == nil {
			return nil
		}
		return env.User
	}
	if len(c.path) == 1 && !c.path[0].isIndex {
		return env.User[c.path[0].key]
	}
	return exprWalk(env.User, c.path)
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

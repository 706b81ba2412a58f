package expr

import "strconv"

// This file compiles the AST of parse.go into a tree of exprCode nodes
// that eval.go walks. Nodes do no parsing, no reflection and no lookups
// of identifiers. Subtrees made only of literals are folded into constants,
// and the common shapes get dedicated operators that evaluate without
// allocating and, in the usual cases, without a call per operand:
//
//   - groups.A || permissions.B || "C" in groups || ["D", "E"] in groups:
//     one opAny node (so are !groups.A and groups.A === true, with neg);
//   - clientType == "x" || clientType in ["y", "z"]: one opClientType node;
//   - user.a.b == "x" (or a number or a boolean): opUserEq;
//   - "x" in user.list / "k" in user.obj: opUserIn.

// exprOp is the operator of a compiled node.
type exprOp uint8

// Boolean operators: exprTruth evaluates them and applies neg. The order
// matters: exprTruth dispatches on ranges (opAny, then up to opConst).
const (
	opAny        exprOp = iota // the user is in one of groups or holds one of perms
	opOr                       // kids, two or more
	opAnd                      // kids, two or more
	opBackoffice               // isBackoffice
	opClientType               // clientType is one of strs
	opConst                    // c; b is its truthiness
	opUserEq                   // the property at path equals c (string, number or bool)
	opUserIn                   // c (a string) in the property at path
	opEq                       // kids[0] == kids[1]
	opIn                       // kids[0] in kids[1]
	opInConst                  // kids[0] in c (a constant array or object)
	opInSet                    // kids[0] in groups (inGroups) or permissions
	opTruthy                   // the truthiness of kids[0], a value node

	// Value operators (never negated): exprEval evaluates them.
	opUser            // the property at path
	opClientTypeValue // clientType as a string
	opArray           // a non-constant array literal of kids
)

// exprCode is one compiled node.
type exprCode struct {
	op       exprOp
	neg      bool // boolean operators: the result is negated
	b        bool // opConst: the truthiness of c
	inGroups bool // opInSet: groups rather than permissions
	c        exprValue
	groups   []string // opAny
	perms    []string // opAny
	strs     []string // opClientType
	path     []exprPathElem
	kids     []*exprCode
}

// exprType is what the compiler knows of a node's result.
type exprType uint8

const (
	tyValue  exprType = iota // anything
	tyBool                   // always a bool: a boolean operator
	tyString                 // always a string: clientType
	tyUser                   // a raw user property: opUser
)

// exprCompiled is a compiled sub-expression and its static type.
type exprCompiled struct {
	code    *exprCode
	typ     exprType
	isConst bool
}

func exprConst(c exprValue) *exprCompiled {
	typ := tyValue
	if c.kind == exprBool {
		typ = tyBool
	}
	return &exprCompiled{code: &exprCode{op: opConst, c: c, b: c.truthy()}, typ: typ, isConst: true}
}

func exprConstBool(b bool) *exprCompiled { return exprConst(exprValue{kind: exprBool, b: b}) }

func exprBoolCode(code *exprCode) *exprCompiled { return &exprCompiled{code: code, typ: tyBool} }

// truth returns a boolean node computing the truthiness of c.
func (c *exprCompiled) truth() *exprCode {
	switch {
	case c.isConst:
		return exprConstBool(c.code.b).code
	case c.typ == tyBool:
		return c.code
	case c.typ == tyString: // clientType != ""
		return &exprCode{op: opClientType, strs: []string{""}, neg: true}
	}
	return &exprCode{op: opTruthy, kids: []*exprCode{c.code}}
}

// exprNegate returns the negation of a boolean node.
func exprNegate(code *exprCode) *exprCode {
	if code.op == opConst {
		return exprConstBool(!code.b).code
	}
	cp := *code
	cp.neg = !cp.neg
	return &cp
}

// compileExpr compiles an AST into its root node, a boolean one.
func compileExpr(n *exprNode) (*exprCode, *Error) {
	c, err := compileExprNode(n)
	if err != nil {
		return nil, err
	}
	return c.truth(), nil
}

// compileExprNode compiles an AST node.
func compileExprNode(n *exprNode) (*exprCompiled, *Error) {
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
			return exprConstBool(!x.code.b), nil
		}
		return exprBoolCode(exprNegate(x.truth())), nil
	case xnAnd, xnOr:
		return compileExprLogic(n)
	case xnEq, xnNe:
		return compileExprEq(n)
	case xnIn:
		return compileExprIn(n)
	case xnGroup:
		return exprBoolCode(&exprCode{op: opAny, groups: []string{n.name}}), nil
	case xnPerm:
		return exprBoolCode(&exprCode{op: opAny, perms: []string{n.name}}), nil
	case xnGroups, xnPerms:
		return nil, exprErr(n.pos, strconv.Quote(n.text)+` can only be used as the right operand of "in" (did you mean `+n.text+`.NAME?)`)
	case xnClientType:
		return &exprCompiled{code: &exprCode{op: opClientTypeValue}, typ: tyString}, nil
	case xnIsBackoffice:
		return exprBoolCode(&exprCode{op: opBackoffice}), nil
	case xnUser:
		return &exprCompiled{code: &exprCode{op: opUser, path: n.path}, typ: tyUser}, nil
	}
	return nil, exprErr(n.pos, "unexpected "+strconv.Quote(n.text))
}

func compileExprArray(n *exprNode) (*exprCompiled, *Error) {
	elems := make([]*exprCompiled, 0, len(n.kids))
	allConst := true
	for i := 0; i < len(n.kids); i++ {
		c, err := compileExprNode(n.kids[i])
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
		for i := 0; i < len(elems); i++ {
			arr[i] = exprToAny(elems[i].code.c)
		}
		return exprConst(exprValue{kind: exprArray, raw: arr}), nil
	}
	code := &exprCode{op: opArray, kids: make([]*exprCode, len(elems))}
	for i := 0; i < len(elems); i++ {
		code.kids[i] = elems[i].code
	}
	return &exprCompiled{code: code}, nil
}

// compileExprLogic compiles a flattened && or || chain. Both operators
// short-circuit and yield a boolean: the truthiness of the JavaScript
// result, so ("a" || "b") is true, not "a". Operands have no side effects,
// so they may be merged and reordered: in an || chain, the group and
// permission tests merge into one opAny and the clientType tests into one
// opClientType.
func compileExprLogic(n *exprNode) (*exprCompiled, *Error) {
	isAnd := n.kind == xnAnd
	var kids []*exprCode
	decided := false // a constant operand fixes the result
	for i := 0; i < len(n.kids); i++ {
		c, err := compileExprNode(n.kids[i]) // every operand is compiled, to report errors
		if err != nil {
			return nil, err
		}
		if !c.isConst {
			kids = append(kids, c.truth())
		} else if c.code.b != isAnd {
			// false in &&, true in ||: the whole chain is this constant.
			decided = true
		}
		// true in &&, false in ||: no effect.
	}
	if decided {
		return exprConstBool(!isAnd), nil
	}
	if !isAnd {
		kids = exprMergeOr(kids)
	}
	switch len(kids) {
	case 0:
		return exprConstBool(isAnd), nil
	case 1:
		return exprBoolCode(kids[0]), nil
	}
	op := opOr
	if isAnd {
		op = opAnd
	}
	return exprBoolCode(&exprCode{op: op, kids: kids}), nil
}

// exprMergeOr merges the operands of an || chain that are positive opAny
// nodes into one, and likewise the opClientType ones; the merged node
// takes the place of the first one.
func exprMergeOr(kids []*exprCode) []*exprCode {
	var out []*exprCode
	var anyNode, ctNode *exprCode
	for i := 0; i < len(kids); i++ {
		k := kids[i]
		switch {
		case k.op == opAny && !k.neg:
			if anyNode == nil {
				anyNode = &exprCode{op: opAny}
				out = append(out, anyNode)
			}
			anyNode.groups = append(anyNode.groups, k.groups...)
			anyNode.perms = append(anyNode.perms, k.perms...)
		case k.op == opClientType && !k.neg:
			if ctNode == nil {
				ctNode = &exprCode{op: opClientType}
				out = append(out, ctNode)
			}
			ctNode.strs = append(ctNode.strs, k.strs...)
		default:
			out = append(out, k)
		}
	}
	return out
}

func compileExprEq(n *exprNode) (*exprCompiled, *Error) {
	l, err := compileExprNode(n.kids[0])
	if err != nil {
		return nil, err
	}
	r, err := compileExprNode(n.kids[1])
	if err != nil {
		return nil, err
	}
	eq := compileExprEqBool(l, r)
	if n.kind == xnNe {
		return exprBoolCode(exprNegate(eq.code)), nil
	}
	return eq, nil
}

// compileExprEqBool compiles l == r into a boolean node (or a constant).
func compileExprEqBool(l, r *exprCompiled) *exprCompiled {
	if l.isConst && r.isConst {
		return exprConstBool(exprEqual(l.code.c, r.code.c))
	}
	if l.isConst {
		l, r = r, l // the constant, if any, is now r
	}
	if r.isConst {
		k := r.code.c
		switch {
		case l.typ == tyString:
			if k.kind != exprString {
				return exprConstBool(false)
			}
			return exprBoolCode(&exprCode{op: opClientType, strs: []string{k.s}})
		case l.typ == tyUser && (k.kind == exprString || k.kind == exprNumber || k.kind == exprBool):
			return exprBoolCode(&exprCode{op: opUserEq, path: l.code.path, c: k})
		case l.typ == tyBool:
			if k.kind != exprBool {
				return exprConstBool(false)
			}
			if k.b {
				return l
			}
			return exprBoolCode(exprNegate(l.code))
		}
	} else if (l.typ == tyBool && r.typ == tyString) || (l.typ == tyString && r.typ == tyBool) {
		return exprConstBool(false)
	}
	return exprBoolCode(&exprCode{op: opEq, kids: []*exprCode{l.code, r.code}})
}

func compileExprIn(n *exprNode) (*exprCompiled, *Error) {
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
		return exprConstBool(exprIn(left.code.c, right.code.c)), nil
	}
	if left.isConst && left.code.c.kind == exprString && right.typ == tyUser {
		return exprBoolCode(&exprCode{op: opUserIn, path: right.code.path, c: left.code.c}), nil
	}
	if right.isConst {
		k := right.code.c
		if k.kind != exprArray && k.kind != exprObject {
			return exprConstBool(false), nil
		}
		if list, ok := exprStringList(k); ok && left.typ == tyString {
			return exprBoolCode(&exprCode{op: opClientType, strs: list}), nil
		}
		return exprBoolCode(&exprCode{op: opInConst, kids: []*exprCode{left.code}, c: k}), nil
	}
	return exprBoolCode(&exprCode{op: opIn, kids: []*exprCode{left.code, right.code}}), nil
}

// compileExprInSet compiles x in groups / x in permissions: a string is
// looked up, an array means "any of its strings"; anything else is false.
func compileExprInSet(left *exprCompiled, groups bool) *exprCompiled {
	if left.isConst {
		k := left.code.c
		var names []string
		if k.kind == exprString {
			names = []string{k.s}
		} else if k.kind == exprArray {
			n := exprArrayLen(k.raw)
			for i := 0; i < n; i++ {
				if e := exprArrayAt(k.raw, i); e.kind == exprString {
					names = append(names, e.s)
				}
			}
		}
		if len(names) == 0 {
			return exprConstBool(false)
		}
		if groups {
			return exprBoolCode(&exprCode{op: opAny, groups: names})
		}
		return exprBoolCode(&exprCode{op: opAny, perms: names})
	}
	if left.typ == tyBool {
		return exprConstBool(false)
	}
	return exprBoolCode(&exprCode{op: opInSet, kids: []*exprCode{left.code}, inGroups: groups})
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

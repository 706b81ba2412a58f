package expr

import (
	"strconv"
	"strings"
)

// This file is the parser of the ACL expression language: a
// recursive-descent parser from tokens to a small AST. Grammar, lowest
// precedence first:
//
//	expr    = and { "||" and }
//	and     = cmp { "&&" cmp }
//	cmp     = unary { ( "==" | "!=" | "===" | "!==" | "in" ) unary }
//	unary   = "!" unary | primary
//	primary = "true" | "false" | "null" | NUMBER | STRING
//	        | "(" expr ")" | "[" [ expr { "," expr } ] "]"
//	        | "clientType" | "isBackoffice"
//	        | ( "groups" | "permissions" ) [ "." NAME { "." NAME } | "[" STRING "]" ]
//	        | "user" { "." NAME | "[" ( STRING | NUMBER ) "]" }
//
// Names after a dot are identifiers, keywords included (groups.in is the
// group "in"). The dotted rest after groups/permissions is one name:
// permissions.api.users.get is the permission "api.users.get".

// maxExprDepth bounds nesting (parentheses, "!", array literals and chained
// comparisons) so that hostile input cannot exhaust the stack.
const maxExprDepth = 100

type exprNodeKind uint8

const (
	xnLiteral      exprNodeKind = iota // lit
	xnArray                            // kids are the elements
	xnNot                              // kids[0]
	xnAnd                              // kids, two or more, flattened
	xnOr                               // kids, two or more, flattened
	xnEq                               // kids[0] == kids[1] (also ===)
	xnNe                               // kids[0] != kids[1] (also !==)
	xnIn                               // kids[0] in kids[1]
	xnGroup                            // groups.NAME; name
	xnPerm                             // permissions.NAME; name
	xnGroups                           // bare groups (only as the right operand of in)
	xnPerms                            // bare permissions (idem)
	xnClientType                       // clientType
	xnIsBackoffice                     // isBackoffice
	xnUser                             // user followed by path (empty path: the user object)
)

// exprNode is one AST node; pos is the 0-based byte offset it starts at.
type exprNode struct {
	kind exprNodeKind
	pos  int
	text string    // token text, for messages
	name string    // xnGroup, xnPerm
	lit  exprValue // xnLiteral
	path []exprPathElem
	kids []*exprNode
}

// exprPathElem is one step of a user property path: a key, or an array index.
type exprPathElem struct {
	key     string
	index   int
	isIndex bool
}

type exprParser struct {
	toks      []exprToken
	i         int
	depth     int
	truncated bool // toks ends early because of a lexical error
}

// unclosed reports a missing closing delimiter for the opener at pos. When
// the token stream was cut short by a lexical error, the error is placed at
// the end so that the lexical error wins.
func (p *exprParser) unclosed(pos int, end exprToken, msg string) *Error {
	if p.truncated {
		return exprErr(end.pos, msg)
	}
	return exprErr(pos, msg)
}

// parseExpr parses src into an AST.
func parseExpr(src string) (*exprNode, *Error) {
	if len(src) > maxExprLen {
		return nil, exprErr(maxExprLen, "expression longer than "+strconv.Itoa(maxExprLen)+" bytes")
	}
	toks, lexErr := lexExpr(src)
	if toks[0].kind == xtokEOF && lexErr == nil {
		return nil, exprErr(0, "empty expression")
	}
	p := &exprParser{toks: toks, truncated: lexErr != nil}
	n, err := p.parseOr()
	if lexErr != nil {
		// The lexer stopped at lexErr and toks ends with an EOF where the bad
		// lexeme starts. A parse error before that EOF comes first in the
		// source and is reported instead, so errors read left to right.
		if err != nil && err.Column-1 < toks[len(toks)-1].pos {
			return nil, err
		}
		return nil, lexErr
	}
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != xtokEOF {
		if t.kind == xtokRParen {
			return nil, exprErr(t.pos, `unexpected ")" without matching "("`)
		}
		return nil, exprErr(t.pos, "unexpected "+t.describe()+" after complete expression")
	}
	return n, nil
}

func (p *exprParser) peek() exprToken { return p.toks[p.i] }

func (p *exprParser) next() exprToken {
	t := p.toks[p.i]
	if t.kind != xtokEOF {
		p.i++
	}
	return t
}

func (p *exprParser) enter(pos int) *Error {
	p.depth++
	if p.depth > maxExprDepth {
		return exprErr(pos, "expression nested too deeply (more than "+strconv.Itoa(maxExprDepth)+" levels)")
	}
	return nil
}

func (p *exprParser) leave() { p.depth-- }

func (p *exprParser) parseOr() (*exprNode, *Error) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != xtokOr {
		return first, nil
	}
	n := &exprNode{kind: xnOr, pos: first.pos, text: "||", kids: []*exprNode{first}}
	for p.peek().kind == xtokOr {
		p.next()
		k, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, k)
	}
	return n, nil
}

func (p *exprParser) parseAnd() (*exprNode, *Error) {
	first, err := p.parseCmp()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != xtokAnd {
		return first, nil
	}
	n := &exprNode{kind: xnAnd, pos: first.pos, text: "&&", kids: []*exprNode{first}}
	for p.peek().kind == xtokAnd {
		p.next()
		k, err := p.parseCmp()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, k)
	}
	return n, nil
}

func (p *exprParser) parseCmp() (*exprNode, *Error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	chained := 0
	for {
		t := p.peek()
		var kind exprNodeKind
		switch {
		case t.kind == xtokEq || t.kind == xtokStrictEq:
			kind = xnEq
		case t.kind == xtokNe || t.kind == xtokStrictNe:
			kind = xnNe
		case t.kind == xtokIdent && t.text == "in":
			kind = xnIn
		default:
			for k := 0; k < chained; k++ {
				p.leave()
			}
			return left, nil
		}
		// a == b == c nests to the left: each comparison counts as a level.
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		chained++
		p.next()
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = &exprNode{kind: kind, pos: left.pos, text: t.text, kids: []*exprNode{left, right}}
	}
}

func (p *exprParser) parseUnary() (*exprNode, *Error) {
	t := p.peek()
	if t.kind != xtokNot {
		return p.parsePrimary()
	}
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	p.next()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	p.leave()
	return &exprNode{kind: xnNot, pos: t.pos, text: "!", kids: []*exprNode{x}}, nil
}

func (p *exprParser) parsePrimary() (*exprNode, *Error) {
	t := p.next()
	switch t.kind {
	case xtokNumber:
		return &exprNode{kind: xnLiteral, pos: t.pos, text: t.text, lit: exprValue{kind: exprNumber, n: t.num}}, nil
	case xtokString:
		return &exprNode{kind: xnLiteral, pos: t.pos, text: t.text, lit: exprValue{kind: exprString, s: t.val}}, nil
	case xtokLParen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		c := p.next()
		if c.kind != xtokRParen {
			if c.kind == xtokEOF {
				return nil, p.unclosed(t.pos, c, `unclosed "(": missing ")"`)
			}
			return nil, exprErr(c.pos, `expected ")", found `+c.describe())
		}
		p.leave()
		return x, nil
	case xtokLBrack:
		return p.parseArray(t)
	case xtokIdent:
		return p.parseIdent(t)
	case xtokEOF:
		return nil, exprErr(t.pos, "unexpected end of expression")
	}
	return nil, exprErr(t.pos, "unexpected "+t.describe())
}

func (p *exprParser) parseArray(open exprToken) (*exprNode, *Error) {
	if err := p.enter(open.pos); err != nil {
		return nil, err
	}
	n := &exprNode{kind: xnArray, pos: open.pos, text: "["}
	if p.peek().kind == xtokRBrack {
		p.next()
		p.leave()
		return n, nil
	}
	for {
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, x)
		c := p.next()
		if c.kind == xtokRBrack {
			break
		}
		if c.kind == xtokComma {
			continue
		}
		if c.kind == xtokEOF {
			return nil, p.unclosed(open.pos, c, `unclosed "[": missing "]"`)
		}
		return nil, exprErr(c.pos, `expected "," or "]", found `+c.describe())
	}
	p.leave()
	return n, nil
}

func (p *exprParser) parseIdent(t exprToken) (*exprNode, *Error) {
	switch t.text {
	case "true":
		return &exprNode{kind: xnLiteral, pos: t.pos, text: t.text, lit: exprValue{kind: exprBool, b: true}}, nil
	case "false":
		return &exprNode{kind: xnLiteral, pos: t.pos, text: t.text, lit: exprValue{kind: exprBool}}, nil
	case "null":
		return &exprNode{kind: xnLiteral, pos: t.pos, text: t.text}, nil
	case "in":
		return nil, exprErr(t.pos, `unexpected keyword "in"`)
	case "clientType":
		return &exprNode{kind: xnClientType, pos: t.pos, text: t.text}, nil
	case "isBackoffice":
		return &exprNode{kind: xnIsBackoffice, pos: t.pos, text: t.text}, nil
	case "groups", "permissions":
		return p.parseSet(t)
	case "user":
		return p.parseUser(t)
	}
	return nil, exprErr(t.pos, "unknown identifier "+strconv.Quote(t.text))
}

// parseSet parses groups/permissions and an optional .a.b.c or ["x"].
func (p *exprParser) parseSet(t exprToken) (*exprNode, *Error) {
	isGroups := t.text == "groups"
	n := &exprNode{pos: t.pos, text: t.text}
	switch p.peek().kind {
	case xtokDot:
		var parts []string
		for p.peek().kind == xtokDot {
			p.next()
			name := p.next()
			if name.kind != xtokIdent {
				return nil, exprErr(name.pos, "expected a name after \".\", found "+name.describe())
			}
			parts = append(parts, name.text)
		}
		n.name = strings.Join(parts, ".")
	case xtokLBrack:
		p.next()
		s := p.next()
		if s.kind != xtokString {
			return nil, exprErr(s.pos, "expected a string inside "+t.text+"[…], found "+s.describe())
		}
		if c := p.next(); c.kind != xtokRBrack {
			return nil, exprErr(c.pos, `expected "]", found `+c.describe())
		}
		n.name = s.val
	default:
		if isGroups {
			n.kind = xnGroups
		} else {
			n.kind = xnPerms
		}
		return n, nil
	}
	if isGroups {
		n.kind = xnGroup
	} else {
		n.kind = xnPerm
	}
	return n, nil
}

// parseUser parses user followed by .key, ["key"] and [index] steps.
func (p *exprParser) parseUser(t exprToken) (*exprNode, *Error) {
	n := &exprNode{kind: xnUser, pos: t.pos, text: t.text}
	for {
		switch p.peek().kind {
		case xtokDot:
			p.next()
			name := p.next()
			if name.kind != xtokIdent {
				return nil, exprErr(name.pos, "expected a name after \".\", found "+name.describe())
			}
			n.path = append(n.path, exprPathElem{key: name.text})
		case xtokLBrack:
			p.next()
			k := p.next()
			switch k.kind {
			case xtokString:
				n.path = append(n.path, exprPathElem{key: k.val})
			case xtokNumber:
				idx := int(k.num)
				if k.num < 0 || float64(idx) != k.num || k.num > 1e9 {
					return nil, exprErr(k.pos, "array index must be a non-negative integer, found "+k.describe())
				}
				n.path = append(n.path, exprPathElem{index: idx, isIndex: true})
			default:
				return nil, exprErr(k.pos, "expected a string or an index inside […], found "+k.describe())
			}
			if c := p.next(); c.kind != xtokRBrack {
				return nil, exprErr(c.pos, `expected "]", found `+c.describe())
			}
		default:
			return n, nil
		}
	}
}

// Package conformance cross-checks aclgate's core against reference
// implementations. It is test-only: expr-lang/expr is a dependency of these
// tests, never of core.
package conformance

import (
	"encoding/json"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/aclgate/aclgate/core"
	aclexpr "github.com/aclgate/aclgate/core/expr"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// The differential test: random ACL expressions, written in core's
// syntax and translated to expr-lang's, must give the same decision on
// random users and requests.
//
// Translation (core → expr-lang):
//
//	groups.NAME, groups["NAME"]   → groups["NAME"] (a map of every vocabulary name to bool)
//	X in groups                   → val(X) in groupsList, or any(X ?? [], # in groupsList)
//	                                when X is an array (any-of)
//	user.a.b, user["x-y"]         → user?.a?.b, user?.["x-y"] (missing → nil)
//	null                          → nil
//	=== / !==                     → == / !=
//	A == B                        → val(A) == val(B) (val is the identity typed any, so that
//	                                expr-lang's checker accepts comparisons of unlike kinds)
//	!A, A && B, A || B            → !truthy(A), truthy(A) && truthy(B), … (core's && and ||
//	                                yield the truthiness of JavaScript's result)
//	numbers                       → float literals (1 → 1.0), as JSON decoding gives float64
//	whole expression              → truthy(…)
//
// Generated only where the two languages genuinely share semantics; left
// out, and covered by core/expr_test.go instead:
//
//   - "x in STRING|NUMBER|BOOL" and "NON-STRING in OBJECT": core yields false,
//     expr-lang fails at run time (operator "in" not defined / map key type).
//   - array indices (user.roles[0]): expr-lang fails out of range and counts
//     negative indices from the end; core yields null.
//   - member access through a non-object (user.name.x): expr-lang fails even
//     with ?., core yields null. Paths follow a fixed property schema.
//   - "X in groups" where X's kind is only known at run time (string or
//     array): core picks membership or any-of dynamically; the translation
//     needs the shape statically, so X is only generated with a known shape.
//   - the escapes \/, \u{…} and surrogate pairs (\uD83D\uDE00), which expr-lang
//     decodes differently or not at all; core side uses \" \' \\ \n \t \uXXXX.
//   - NaN and ±Inf (not JSON); json.Number (expr-lang sees a string type:
//     the expr-lang env gets the float64 instead, core keeps json.Number).
//   - integer literals inside arrays (expr-lang: int, JSON: float64; its deep
//     equality then differs); all numbers are emitted as floats.
//   - JavaScript's value-returning && and || ("a" || "b" is "a" in JS): core
//     deliberately yields booleans, and the translation follows core.

var (
	diffGroupNames = []string{"admin", "ops", "dev", "a-b", "in", "x.y", "interni"}
	diffPermNames  = []string{"users:read", "api.users.get", "x", "write", "api.users"}
	diffStrings    = []string{"admin", "ops", "a-b", "in", "x.y", "users:read", "api.users.get",
		"", "Ada", "Bob", "core", "apiKey", "apiKey2", "it's", `say "hi"`, "é", "line\nbreak", "tab\there", "nope"}
	diffNumbers     = []float64{0, 1, 2, 36, 1.5, -2, 5}
	diffClientTypes = []string{"", "apiKey", "apiKey2", "admin"}
)

// Shapes of a generated sub-expression, as far as they are statically known.
const (
	shapeOther  = iota // bool, number or null
	shapeString        // string or null
	shapeArray         // array or null
	shapeObject        // object or null
)

// Core precedence levels (higher binds tighter).
const (
	precOr = iota + 1
	precAnd
	precCmp
	precUnary
	precPrimary
)

// gexpr is a generated expression in both syntaxes.
type gexpr struct {
	core  string
	el    string // expr-lang
	prec  int
	shape int
}

type diffGen struct {
	r *rand.Rand
}

func (g *diffGen) pick(list []string) string { return list[g.r.Intn(len(list))] }

func (g *diffGen) ws() string {
	switch g.r.Intn(8) {
	case 0:
		return ""
	case 1:
		return "  "
	case 2:
		return "\n\t"
	}
	return " "
}

// coreString writes s as a core string literal with a random quote style
// and random (but expr-lang-compatible in meaning) escapes.
func (g *diffGen) coreString(s string) string {
	q := byte('"')
	if g.r.Intn(2) == 0 {
		q = '\''
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case g.r.Intn(10) == 0 && r < 0xD800:
			h := strconv.FormatInt(int64(r), 16)
			b.WriteString(`\u` + strings.Repeat("0", 4-len(h)) + h)
		case r == '"' && g.r.Intn(3) == 0:
			b.WriteString(`\"`)
		case r == '\'' && g.r.Intn(3) == 0:
			b.WriteString(`\'`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

func elNumber(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	if f < 0 {
		return "(" + s + ")"
	}
	return s
}

func coreNumber(r *rand.Rand, f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") && r.Intn(3) == 0 {
		s += ".0"
	}
	return s
}

func (g *diffGen) literal(depth int) gexpr {
	switch g.r.Intn(6) {
	case 0:
		if g.r.Intn(2) == 0 {
			return gexpr{"true", "true", precPrimary, shapeOther}
		}
		return gexpr{"false", "false", precPrimary, shapeOther}
	case 1:
		return gexpr{"null", "nil", precPrimary, shapeOther}
	case 2:
		f := diffNumbers[g.r.Intn(len(diffNumbers))]
		return gexpr{coreNumber(g.r, f), elNumber(f), precPrimary, shapeOther}
	case 3:
		if depth > 0 {
			return g.arrayLit(depth - 1)
		}
	}
	s := g.pick(diffStrings)
	return gexpr{g.coreString(s), strconv.Quote(s), precPrimary, shapeString}
}

// arrayLit builds an array literal of 0–3 elements; usually constant,
// sometimes with a dynamic element.
func (g *diffGen) arrayLit(depth int) gexpr {
	n := g.r.Intn(4)
	var cs, es []string
	for i := 0; i < n; i++ {
		var e gexpr
		switch {
		case g.r.Intn(6) == 0:
			e = g.atom(0)
		case g.r.Intn(3) == 0:
			s := g.pick(diffGroupNames)
			e = gexpr{g.coreString(s), strconv.Quote(s), precPrimary, shapeString}
		default:
			e = g.literal(depth)
		}
		cs = append(cs, e.core)
		es = append(es, e.el)
	}
	return gexpr{"[" + strings.Join(cs, ","+g.ws()) + "]", "[" + strings.Join(es, ", ") + "]", precPrimary, shapeArray}
}

// setName writes groups.NAME / permissions.NAME in a random valid form.
func (g *diffGen) setRef(set string, names []string) gexpr {
	name := g.pick(append(names, "nope"))
	ident := true
	for _, part := range strings.Split(name, ".") {
		if part == "" || strings.ContainsAny(part, "-:") {
			ident = false
		}
	}
	var c string
	if ident && g.r.Intn(2) == 0 {
		c = set + "." + name
	} else {
		c = set + "[" + g.coreString(name) + "]"
	}
	return gexpr{c, set + "[" + strconv.Quote(name) + "]", precPrimary, shapeOther}
}

// userPaths is the property schema: path in core syntax, in expr-lang
// syntax, and shape.
var userPaths = []struct {
	core, el string
	shape    int
}{
	{"user.name", "user?.name", shapeString},
	{"user.role", "user?.role", shapeString},
	{`user["x-y"]`, `user?.["x-y"]`, shapeString},
	{"user.age", "user?.age", shapeOther},
	{"user.active", "user?.active", shapeOther},
	{"user.nil", "user?.nil", shapeOther},
	{"user.missing", "user?.missing", shapeOther},
	{"user.roles", "user?.roles", shapeArray},
	{"user.list", "user?.list", shapeArray},
	{"user.org", "user?.org", shapeObject},
	{`user["org"].team`, "user?.org?.team", shapeString},
	{"user.org.size", "user?.org?.size", shapeOther},
	{"user.org.deep", "user?.org?.deep", shapeObject},
	{"user.org.deep.x", "user?.org?.deep?.x", shapeString},
	{"user.org.missing.x", "user?.org?.missing?.x", shapeOther},
	{"user", "user", shapeObject},
}

func (g *diffGen) atom(depth int) gexpr {
	switch g.r.Intn(9) {
	case 0, 1:
		return g.setRef("groups", diffGroupNames)
	case 2:
		return g.setRef("permissions", diffPermNames)
	case 3:
		return gexpr{"clientType", "clientType", precPrimary, shapeString}
	case 4:
		return gexpr{"isBackoffice", "isBackoffice", precPrimary, shapeOther}
	case 5, 6:
		p := userPaths[g.r.Intn(len(userPaths))]
		return gexpr{p.core, p.el, precPrimary, p.shape}
	}
	return g.literal(depth)
}

// paren wraps e in core parentheses when its precedence is below min, and
// sometimes anyway.
func (g *diffGen) paren(e gexpr, min int) string {
	if e.prec < min || g.r.Intn(12) == 0 {
		return "(" + g.ws() + e.core + g.ws() + ")"
	}
	return e.core
}

func (g *diffGen) gen(depth int) gexpr {
	if depth <= 0 || g.r.Intn(5) == 0 {
		return g.atom(depth)
	}
	switch g.r.Intn(12) {
	case 10, 11:
		return g.propCompare()
	case 0:
		x := g.gen(depth - 1)
		return gexpr{"!" + g.paren(x, precUnary), "!truthy(" + x.el + ")", precUnary, shapeOther}
	case 1, 2:
		return g.logic(depth, "&&", precAnd)
	case 3, 4:
		return g.logic(depth, "||", precOr)
	case 5, 6:
		a, b := g.gen(depth-1), g.gen(depth-1)
		ops := []string{"==", "!=", "===", "!=="}
		op := ops[g.r.Intn(len(ops))]
		elOp := op
		if len(op) == 3 {
			elOp = op[:2]
		}
		// Comparisons associate to the left: a right operand at the same
		// level needs parentheses.
		return gexpr{g.paren(a, precCmp) + g.ws() + op + g.ws() + g.paren(b, precUnary),
			"(val(" + a.el + ") " + elOp + " val(" + b.el + "))", precCmp, shapeOther}
	case 7, 8:
		return g.inSet(depth)
	}
	return g.inValue(depth)
}

// propCompare compares a user property with a literal of a plausible kind,
// so that equal values actually occur.
func (g *diffGen) propCompare() gexpr {
	p := userPaths[g.r.Intn(len(userPaths))]
	var lit gexpr
	switch {
	case g.r.Intn(6) == 0:
		lit = gexpr{"null", "nil", precPrimary, shapeOther}
	case p.shape == shapeString:
		s := g.pick(diffStrings)
		if g.r.Intn(2) == 0 {
			s = g.pick(diffGroupNames)
		}
		lit = gexpr{g.coreString(s), strconv.Quote(s), precPrimary, shapeString}
	case p.core == "user.active":
		b := g.r.Intn(2) == 0
		lit = gexpr{strconv.FormatBool(b), strconv.FormatBool(b), precPrimary, shapeOther}
	case p.shape == shapeArray:
		lit = g.arrayLit(0)
	default:
		f := diffNumbers[g.r.Intn(len(diffNumbers))]
		lit = gexpr{coreNumber(g.r, f), elNumber(f), precPrimary, shapeOther}
	}
	ops := []string{"==", "!=", "===", "!=="}
	op := ops[g.r.Intn(len(ops))]
	a, b := gexpr{p.core, p.el, precPrimary, p.shape}, lit
	if g.r.Intn(2) == 0 {
		a, b = b, a
	}
	return gexpr{a.core + g.ws() + op + g.ws() + b.core,
		"(val(" + a.el + ") " + op[:2] + " val(" + b.el + "))", precCmp, shapeOther}
}

func (g *diffGen) logic(depth int, op string, prec int) gexpr {
	n := 2 + g.r.Intn(3)
	var cs, es []string
	for i := 0; i < n; i++ {
		x := g.gen(depth - 1)
		cs = append(cs, g.paren(x, prec+1))
		es = append(es, "truthy("+x.el+")")
	}
	return gexpr{strings.Join(cs, g.ws()+op+g.ws()), "(" + strings.Join(es, " "+op+" ") + ")", prec, shapeOther}
}

// inSet generates X in groups / X in permissions.
func (g *diffGen) inSet(depth int) gexpr {
	set, list := "groups", "groupsList"
	if g.r.Intn(3) == 0 {
		set, list = "permissions", "permissionsList"
	}
	var x gexpr
	switch g.r.Intn(4) {
	case 0:
		x = g.gen(depth - 1)
	case 1:
		x = g.arrayLit(1)
	default:
		names := diffGroupNames
		if set == "permissions" {
			names = diffPermNames
		}
		s := g.pick(names)
		x = gexpr{g.coreString(s), strconv.Quote(s), precPrimary, shapeString}
	}
	el := "(val(" + x.el + ") in " + list + ")"
	if x.shape == shapeArray {
		el = "any(" + x.el + " ?? [], # in " + list + ")"
	}
	return gexpr{g.paren(x, precCmp) + " in " + set, el, precCmp, shapeOther}
}

// inValue generates X in ARRAY and STRING in OBJECT.
func (g *diffGen) inValue(depth int) gexpr {
	var x, y gexpr
	switch g.r.Intn(3) {
	case 0:
		y = g.arrayLit(1)
		x = g.gen(depth - 1)
	case 1:
		arrays := []int{7, 8} // user.roles, user.list
		p := userPaths[arrays[g.r.Intn(2)]]
		y = gexpr{p.core, p.el, precPrimary, p.shape}
		x = g.gen(depth - 1)
	default:
		objects := []int{9, 12, 15} // user.org, user.org.deep, user
		p := userPaths[objects[g.r.Intn(3)]]
		y = gexpr{p.core, p.el, precPrimary, p.shape}
		switch g.r.Intn(3) {
		case 0:
			x = gexpr{"clientType", "clientType", precPrimary, shapeString}
		default:
			keys := []string{"team", "size", "x", "name", "roles", "org", "nope", "x-y"}
			s := keys[g.r.Intn(len(keys))]
			x = gexpr{g.coreString(s), strconv.Quote(s), precPrimary, shapeString}
		}
	}
	return gexpr{g.paren(x, precCmp) + " in " + g.paren(y, precUnary),
		"(val(" + x.el + ") in val(" + y.el + "))", precCmp, shapeOther}
}

// diffEnv is one random caller in both representations.
type diffEnv struct {
	core *aclexpr.Env
	el   map[string]any
}

func (g *diffGen) subset(names []string) []string {
	var out []string
	for _, n := range names {
		if g.r.Intn(3) == 0 {
			out = append(out, n)
		}
	}
	return out
}

// number returns f as a core property (sometimes json.Number) and as the
// expr-lang property (always float64).
func (g *diffGen) number(f float64) (any, any) {
	if g.r.Intn(3) == 0 {
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64)), f
	}
	return f, f
}

func (g *diffGen) env() diffEnv {
	u := &core.User{}
	if g.r.Intn(5) != 0 {
		u.ID = "u" + strconv.Itoa(g.r.Intn(100))
		u.Groups = g.subset(diffGroupNames)
		u.Permissions = g.subset(diffPermNames)
	}
	var elUser any // nil for the anonymous caller
	if !u.Anonymous() {
		cp, ep := map[string]any{}, map[string]any{}
		if g.r.Intn(5) != 0 {
			g.props(cp, ep)
			u.Properties = cp
		}
		elUser = ep
	}
	groups := map[string]bool{}
	for _, n := range append(diffGroupNames, "nope") {
		groups[n] = u.InGroup(n)
	}
	perms := map[string]bool{}
	for _, n := range append(diffPermNames, "nope") {
		perms[n] = u.HasPermission(n)
	}
	ct := diffClientTypes[g.r.Intn(len(diffClientTypes))]
	bo := g.r.Intn(2) == 0
	return diffEnv{
		core: exprEnv(u, ct, bo),
		el: map[string]any{
			"groups":          groups,
			"permissions":     perms,
			"groupsList":      append([]string{}, u.Groups...),
			"permissionsList": append([]string{}, u.Permissions...),
			"clientType":      ct,
			"isBackoffice":    bo,
			"user":            elUser,
		},
	}
}

// props fills both property maps following the schema of userPaths; each
// key may be missing.
func (g *diffGen) props(cp, ep map[string]any) {
	set := func(k string, c, e any) {
		if g.r.Intn(4) != 0 {
			cp[k], ep[k] = c, e
		}
	}
	s := g.pick(diffStrings)
	set("name", s, s)
	s = g.pick(diffGroupNames)
	set("role", s, s)
	s = g.pick(diffStrings)
	set("x-y", s, s)
	c, e := g.number(diffNumbers[g.r.Intn(len(diffNumbers))])
	set("age", c, e)
	b := g.r.Intn(2) == 0
	set("active", b, b)
	set("nil", nil, nil)
	var rc, re []any
	for _, r := range g.subset(append(diffGroupNames, "zzz")) {
		rc, re = append(rc, r), append(re, r)
	}
	if rc == nil {
		rc, re = []any{}, []any{}
	}
	set("roles", rc, re)
	lc, le := []any{}, []any{}
	for i := g.r.Intn(4); i > 0; i-- {
		switch g.r.Intn(4) {
		case 0:
			c, e := g.number(diffNumbers[g.r.Intn(len(diffNumbers))])
			lc, le = append(lc, c), append(le, e)
		case 1:
			s := g.pick(diffStrings)
			lc, le = append(lc, s), append(le, s)
		case 2:
			s := g.pick(diffGroupNames)
			lc, le = append(lc, []any{s}), append(le, []any{s})
		default:
			lc, le = append(lc, nil), append(le, nil)
		}
	}
	set("list", lc, le)
	oc, oe := map[string]any{}, map[string]any{}
	s = g.pick(diffStrings)
	if g.r.Intn(4) != 0 {
		oc["team"], oe["team"] = s, s
	}
	c, e = g.number(diffNumbers[g.r.Intn(len(diffNumbers))])
	if g.r.Intn(4) != 0 {
		oc["size"], oe["size"] = c, e
	}
	if g.r.Intn(4) != 0 {
		s = g.pick(diffStrings)
		oc["deep"], oe["deep"] = map[string]any{"x": s}, map[string]any{"x": s}
	}
	set("org", oc, oe)
}

// truthy is JavaScript truthiness, the oracle side of core's.
func truthy(x any) bool {
	switch v := x.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0 && !math.IsNaN(v)
	case int:
		return v != 0
	}
	return true
}

var exprLangOptions = []expr.Option{
	expr.Function("truthy", func(params ...any) (any, error) { return truthy(params[0]), nil },
		new(func(any) bool)),
	expr.Function("val", func(params ...any) (any, error) { return params[0], nil },
		new(func(any) any)),
	expr.AsBool(),
}

func compileExprLang(src string) (*vm.Program, error) {
	return expr.Compile("truthy("+src+")", exprLangOptions...)
}

const (
	diffExpressions = 3000
	diffEnvsPerExpr = 4
)

// TestExprDifferential compares core and expr-lang on diffExpressions random
// expressions, each on diffEnvsPerExpr random callers (fixed seed).
func TestExprDifferential(t *testing.T) {
	g := &diffGen{r: rand.New(rand.NewSource(20240917))}
	envs := make([]diffEnv, 64)
	for i := range envs {
		envs[i] = g.env()
	}
	cases, trues, failures := 0, 0, 0
	for i := 0; i < diffExpressions; i++ {
		ge := g.gen(1 + g.r.Intn(4))
		for len(ge.core) > 4096 {
			ge = g.gen(1 + g.r.Intn(4))
		}
		ce, err := aclexpr.Compile(ge.core)
		if err != nil {
			t.Fatalf("core rejects generated %q: %v", ge.core, err)
		}
		prog, err := compileExprLang(ge.el)
		if err != nil {
			t.Fatalf("expr-lang rejects %q (core %q): %v", ge.el, ge.core, err)
		}
		for j := 0; j < diffEnvsPerExpr; j++ {
			env := envs[g.r.Intn(len(envs))]
			want, err := expr.Run(prog, env.el)
			if err != nil {
				t.Fatalf("expr-lang fails on %q (core %q): %v\nenv %#v", ge.el, ge.core, err, env.el)
			}
			got := aclexpr.Run(ce, env.core)
			if got != want.(bool) {
				t.Errorf("disagreement on %q: core %v, expr-lang %v (%q)\nuser %+v clientType %q isBackoffice %v",
					ge.core, got, want, ge.el, *env.core, env.core.ClientType, env.core.IsBackoffice)
				if failures++; failures >= 20 {
					t.FailNow()
				}
			}
			cases++
			if got {
				trues++
			}
		}
	}
	t.Logf("%d expressions, %d cases, %d true / %d false", diffExpressions, cases, trues, cases-trues)
	if cases < 5000 {
		t.Fatalf("only %d cases", cases)
	}
	// A generator that only produced constant results would prove nothing.
	if trues < cases/10 || cases-trues < cases/10 {
		t.Fatalf("unbalanced outcomes: %d true of %d", trues, cases)
	}
}

// TestExprDifferentialFixed pins hand-written pairs, including the documented
// and Mia's examples, on the same translation.
func TestExprDifferentialFixed(t *testing.T) {
	pairs := [][2]string{
		{`groups.admin || permissions["users:read"]`, `truthy(groups["admin"]) || truthy(permissions["users:read"])`},
		{`groups.admin && isBackoffice`, `truthy(groups["admin"]) && truthy(isBackoffice)`},
		{`isBackoffice && (groups.admin || groups.interni)`, `isBackoffice && (groups["admin"] || groups["interni"])`},
		{`clientType == "apiKey" || clientType == "apiKey2"`, `clientType == "apiKey" || clientType == "apiKey2"`},
		{`["admin", "ops"] in groups`, `any(["admin", "ops"], # in groupsList)`},
		{`"admin" in groups`, `"admin" in groupsList`},
		{`!groups.dev`, `!groups["dev"]`},
		{`groups.admin || permissions.api.users.get`, `groups["admin"] || permissions["api.users.get"]`},
		{`(groups.admin === true)`, `(groups["admin"] == true)`},
		{`user.org.team == "core"`, `user?.org?.team == "core"`},
		{`"team" in user.org`, `"team" in val(user?.org)`},
		{`user.missing == null`, `user?.missing == nil`},
	}
	g := &diffGen{r: rand.New(rand.NewSource(7))}
	for _, p := range pairs {
		ce, err := aclexpr.Compile(p[0])
		if err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		prog, err := compileExprLang(p[1])
		if err != nil {
			t.Fatalf("%s: %v", p[1], err)
		}
		for i := 0; i < 200; i++ {
			env := g.env()
			want, err := expr.Run(prog, env.el)
			if err != nil {
				t.Fatalf("%s: %v", p[1], err)
			}
			if got := aclexpr.Run(ce, env.core); got != want.(bool) {
				t.Fatalf("%s: core %v, expr-lang %v; user %+v", p[0], got, want, *env.core)
			}
		}
	}
}

// exprEnv is the expression environment core's decision builds for the
// caller u: no user document for the anonymous caller, an empty one for a
// user without properties.
func exprEnv(u *core.User, clientType string, backoffice bool) *aclexpr.Env {
	env := &aclexpr.Env{Groups: u.Groups, Permissions: u.Permissions, User: u.Properties, ClientType: clientType, IsBackoffice: backoffice}
	if u.Anonymous() {
		env.User = nil
	} else if env.User == nil {
		env.User = map[string]any{}
	}
	return env
}

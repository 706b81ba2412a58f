package conformance

import (
	"testing"

	"github.com/aclgate/aclgate/core"
	aclexpr "github.com/aclgate/aclgate/core/expr"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Comparative benchmark: core's compiled opcode tree against expr-lang's VM on
// the same rules and the same caller.
//
//	go test -run='^$' -bench='Core|ExprLang' -benchmem ./internal/conformance
//
// expr-lang gets its most favourable setup: each expression is compiled once
// against the env's types (expr.Env, expr.AsBool) and written in its natural
// syntax (no truthy/val helpers), and the env map is built once outside the
// loop, although a gateway would have to build it for every request.

var benchExprs = []struct {
	name, core, el string
}{
	{"group", `groups.admin`, `groups.admin`},
	{"groupOrPerm", `groups.admin || permissions["users:read"]`, `groups.admin || permissions["users:read"]`},
	{"backoffice", `isBackoffice && (groups.admin || groups.interni)`, `isBackoffice && (groups.admin || groups.interni)`},
	{"clientType", `clientType == "apiKey" || clientType == "apiKey2"`, `clientType == "apiKey" || clientType == "apiKey2"`},
	{"inGroups", `["admin", "user"] in groups`, `any(["admin", "user"], # in groupsList)`},
	{"not", `!groups.developer`, `!groups.developer`},
	{"dottedPerm", `groups.superadmin || permissions.api.users.get`, `groups.superadmin || permissions["api.users.get"]`},
	{"strictEq", `(groups.admin === true)`, `(groups.admin == true)`},
	{"userProp", `user.org.team == "core" && "ops" in user.roles`, `user.org.team == "core" && "ops" in user.roles`},
}

func benchCaller() (*aclexpr.Env, map[string]any) {
	props := map[string]any{
		"sub":   "u1",
		"roles": []any{"admin", "ops"},
		"org":   map[string]any{"team": "core", "size": float64(5)},
	}
	u := &core.User{
		ID:          "u1",
		Groups:      []string{"interni", "ops", "admin"},
		Permissions: []string{"users:list", "users:read", "api.users.get"},
		Properties:  props,
	}
	groups := map[string]bool{}
	for _, g := range u.Groups {
		groups[g] = true
	}
	perms := map[string]bool{}
	for _, p := range u.Permissions {
		perms[p] = true
	}
	env := exprEnv(u, "apiKey2", true)
	return env, map[string]any{
		"groups":          groups,
		"permissions":     perms,
		"groupsList":      u.Groups,
		"permissionsList": u.Permissions,
		"clientType":      env.ClientType,
		"isBackoffice":    env.IsBackoffice,
		"user":            props,
	}
}

// BenchmarkCore evaluates benchExprs with core.
func BenchmarkCore(b *testing.B) {
	env, _ := benchCaller()
	for _, c := range benchExprs {
		c := c
		e, err := aclexpr.Compile(c.core)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				aclexpr.Run(e, env)
			}
		})
	}
}

// BenchmarkExprLang evaluates the same rules with expr-lang/expr.
func BenchmarkExprLang(b *testing.B) {
	_, env := benchCaller()
	for _, c := range benchExprs {
		c := c
		prog, err := expr.Compile(c.el, expr.Env(env), expr.AsBool())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := expr.Run(prog, env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBenchExprsAgree checks that the benchmark pairs mean the same thing.
func TestBenchExprsAgree(t *testing.T) {
	coreEnv, elEnv := benchCaller()
	for _, c := range benchExprs {
		e, err := aclexpr.Compile(c.core)
		if err != nil {
			t.Fatal(err)
		}
		var prog *vm.Program
		if prog, err = expr.Compile(c.el, expr.Env(elEnv), expr.AsBool()); err != nil {
			t.Fatal(err)
		}
		want, err := expr.Run(prog, elEnv)
		if err != nil {
			t.Fatal(err)
		}
		if got := aclexpr.Run(e, coreEnv); got != want.(bool) {
			t.Errorf("%s: core %v, expr-lang %v", c.name, got, want)
		}
	}
}

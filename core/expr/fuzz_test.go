package expr

import (
	"encoding/json"
	"strings"
	"testing"
)

// exprSeeds are the seed corpus of FuzzCompile: the documented and Mia's
// examples, every construct of expr_test.go and its error cases.
var exprSeeds = []string{
	`groups.admin || permissions["users:read"]`,
	`groups.admin && isBackoffice`,
	`isBackoffice && (groups.admin || groups.interni)`,
	`clientType == "apiKey" || clientType == "apiKey2"`,
	`groups.foo || clientType=="bar"`,
	`["admin", "user"] in groups`,
	`!groups.developer`,
	`groups.superadmin || permissions.api.users.get`,
	`(groups.admin === true)`,
	`true`, `false`, `null`, `0`, `-1.5`, `""`, `'x'`, `[]`, `[[1], "a", null, true]`,
	`"a\"b" == 'a\'b' && "\n\t\r\b\f\v\/\\" != "\u00e9\u{1F600}\uD83D\uDE00"`,
	`1 == 1.0 == true`, `1 != "1"`, `null !== null`, `[] == []`,
	`"a" || "b"`, `null || 0 || "" || false`, `true && 1 && "x" && []`,
	`"admin" in groups`, `["nope", "users:read"] in permissions`, `1 in groups`,
	`permissions . api . users . get`, `groups["a-b"]`, `groups.in`,
	`clientType in ["apiKey", "apiKey2"]`, `[clientType, "x"] == ["bar", "x"]`,
	`isBackoffice != false`,
	`user`, `user.name == "Ada"`, `user["x-y"]`, `user.org.deep.x == "y"`, `user.roles[0] in groups`,
	`user.list[2][0] == "x"`, `"team" in user.org`, `user.roles in groups`, `"a" in user.tags`,
	`"a" in "abc"`, `("a" in ["a"]) in [true]`,
	// Errors.
	``, `   `, `grops.admin`, `groups`, `!permissions`, `"abc`, `"a\qb"`, `"a\u12"`, `"a\u{110000}"`,
	`(groups.admin`, `(true))`, `()`, `["a" "b"]`, `["a",]`, `true false`, `1 -1`, `true &&`, `&& true`,
	`in groups`, `a = 1`, `true & false`, `true | false`, `true ^ false`, `clientType.x`, `groups.1`,
	`groups[1]`, `groups["a"`, `user[-1]`, `user[1.5]`, `user[true]`, `1abc`, `1.`, `.5`,
	"((((((((((((((((((((true))))))))))))))))))))", "!!!!!!!!!!!!!!!!!!!!!!!!true",
	"\xff", "\"\xff\"", "groups.a\x00",
}

func fuzzEnvs() []*Env {
	props := map[string]any{}
	_ = json.Unmarshal([]byte(`{"sub":"u1","name":"Ada","age":36,"active":true,"roles":["admin","ops"],
		"org":{"team":"core","deep":{"x":"y"}},"x-y":"dash","list":[1,"two",["x"],{"k":"v"}],"nil":null,"empty":"","zero":0}`), &props)
	numProps := map[string]any{}
	dec := json.NewDecoder(strings.NewReader(`{"age":36,"list":[1.5,2],"org":{"size":5}}`))
	dec.UseNumber()
	_ = dec.Decode(&numProps)
	return []*Env{
		{},
		{
			Groups:      []string{"admin", "interni", "in", "a-b"},
			Permissions: []string{"users:read", "api.users.get"}, User: props,
			ClientType: "apiKey", IsBackoffice: true,
		},
		{User: numProps, ClientType: "bar"},
		nil,
	}
}

// FuzzCompile compiles arbitrary input: it must never
// panic; an error must be an *Error whose column lies within the input
// (or just past it); a compiled expression must keep its source and evaluate
// without panicking, deterministically, on anonymous, rich, json.Number and
// nil environments.
func FuzzCompile(f *testing.F) {
	for _, s := range exprSeeds {
		f.Add(s)
	}
	envs := fuzzEnvs()
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src)
		if err != nil {
			xe, ok := err.(*Error)
			if !ok {
				t.Fatalf("%q: error %T is not an *Error", src, err)
			}
			if xe.Column < 1 || xe.Column > len(src)+1 || xe.Msg == "" {
				t.Fatalf("%q: bad error %q", src, err)
			}
			return
		}
		if e.String() != src {
			t.Fatalf("String() = %q, want %q", e.String(), src)
		}
		for _, env := range envs {
			a, b := Run(e, env), Run(e, env)
			if a != b {
				t.Fatalf("%q: Run is not deterministic", src)
			}
		}
	})
}

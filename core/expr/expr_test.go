package expr

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// These tests also run under `yaegi test` (Traefik's interpreter): stdlib
// only, no type switches on interpreted types, loop variables copied.

func exprTestEnvs() map[string]*Env {
	adminProps := map[string]any{
		"sub":       "u1",
		"name":      "Ada",
		"age":       float64(36),
		"active":    true,
		"inactive":  false,
		"roles":     []any{"admin", "ops"},
		"org":       map[string]any{"team": "core", "size": float64(5), "deep": map[string]any{"x": "y"}},
		"x-y":       "dash",
		"empty":     "",
		"zero":      float64(0),
		"nil":       nil,
		"list":      []any{float64(1), "two", []any{"x"}, map[string]any{"k": "v"}},
		"emptyList": []any{},
		"emptyObj":  map[string]any{},
		"num":       json.Number("42"),
		"badNum":    json.Number("x"),
		"tags":      []string{"a", "b"},
		"int":       7,
		"nan":       math.NaN(),
		"other":     struct{}{},
		"copyOrg":   map[string]any{"team": "core", "size": float64(5), "deep": map[string]any{"x": "y"}},
		"copyList":  []any{float64(1), "two", []any{"x"}, map[string]any{"k": "v"}},
		"role":      "admin",
		"permList":  []any{"nope", "users:read"},
		"in":        "keyword",
	}
	return map[string]*Env{
		"anon":   {},
		"anonBO": {IsBackoffice: true, ClientType: "apiKey"},
		"admin": {
			Groups:       []string{"admin", "interni"},
			Permissions:  []string{"users:read", "api.users.get"},
			User:         adminProps,
			ClientType:   "apiKey",
			IsBackoffice: true,
		},
		// present users without properties: User is an empty map
		"dev": {
			Groups: []string{"developer", "in", "a-b"}, Permissions: []string{"x"},
			User:       map[string]any{},
			ClientType: "apiKey2",
		},
		"super": {
			Groups: []string{"superadmin"}, Permissions: []string{"api.users.get"},
			User:       map[string]any{},
			ClientType: "bar",
		},
	}
}

type exprEvalCase struct {
	src  string
	env  string
	want bool
}

var exprEvalCases = []exprEvalCase{
	// Mia console examples.
	{`groups.admin || permissions["users:read"]`, "admin", true},
	{`groups.admin || permissions["users:read"]`, "dev", false},
	{`groups.admin || permissions["users:read"]`, "anon", false},
	{`groups.admin && isBackoffice`, "admin", true},
	{`groups.admin && isBackoffice`, "dev", false},
	{`groups.admin && isBackoffice`, "anonBO", false},
	{`isBackoffice && (groups.admin || groups.interni)`, "admin", true},
	{`isBackoffice && (groups.admin || groups.interni)`, "anonBO", false},
	{`isBackoffice && (groups.admin || groups.interni)`, "dev", false},
	{`clientType == "apiKey" || clientType == "apiKey2"`, "admin", true},
	{`clientType == "apiKey" || clientType == "apiKey2"`, "dev", true},
	{`clientType == "apiKey" || clientType == "apiKey2"`, "super", false},
	{`clientType == "apiKey" || clientType == "apiKey2"`, "anon", false},
	{`groups.foo || clientType=="bar"`, "super", true},
	{`groups.foo || clientType=="bar"`, "admin", false},
	{`["admin", "user"] in groups`, "admin", true},
	{`["admin", "user"] in groups`, "dev", false},
	{`["admin", "user"] in groups`, "anon", false},
	{`!groups.developer`, "dev", false},
	{`!groups.developer`, "admin", true},
	{`!groups.developer`, "anon", true},
	{`groups.superadmin || permissions.api.users.get`, "super", true},
	{`groups.superadmin || permissions.api.users.get`, "admin", true},
	{`groups.superadmin || permissions.api.users.get`, "dev", false},
	{`(groups.admin === true)`, "admin", true},
	{`(groups.admin === true)`, "dev", false},

	// Literals and truthiness.
	{`true`, "anon", true},
	{`false`, "anon", false},
	{`null`, "anon", false},
	{`0`, "anon", false},
	{`1`, "anon", true},
	{`-1`, "anon", true},
	{`0.0`, "anon", false},
	{`0.5`, "anon", true},
	{`""`, "anon", false},
	{`''`, "anon", false},
	{`"x"`, "anon", true},
	{`'false'`, "anon", true},
	{`[]`, "anon", true},
	{`[false]`, "anon", true},
	{`!""`, "anon", true},
	{`!!"x"`, "anon", true},
	{`!null`, "anon", true},
	{`!0`, "anon", true},
	{`!1`, "anon", false},
	{`![]`, "anon", false},
	{` ( ( true ) ) `, "anon", true},
	{"true\n&&\ttrue", "anon", true},

	// Strings and escapes.
	{`"a\"b" == 'a"b'`, "anon", true},
	{`'a\'b' == "a'b"`, "anon", true},
	{`"a\\b" == 'a\\b'`, "anon", true},
	{`"\n\t\r\b\f\v\/" == "\u000a\u0009\u000d\u0008\u000c\u000b/"`, "anon", true},
	{`"\u00e9" == "é"`, "anon", true},
	{`"\u{1F600}" == "😀"`, "anon", true},
	{`"\uD83D\uDE00" == "😀"`, "anon", true},
	{`"\u{41}" == "A"`, "anon", true},
	{`"é" == "e"`, "anon", false},

	// Equality: strict, no coercion.
	{`1 == 1`, "anon", true},
	{`1 == 1.0`, "anon", true},
	{`1 === 1`, "anon", true},
	{`1 == "1"`, "anon", false},
	{`1 != "1"`, "anon", true},
	{`1 !== "1"`, "anon", true},
	{`0 == false`, "anon", false},
	{`"" == false`, "anon", false},
	{`null == false`, "anon", false},
	{`null == null`, "anon", true},
	{`null === null`, "anon", true},
	{`null != null`, "anon", false},
	{`true == true`, "anon", true},
	{`true != false`, "anon", true},
	{`"a" == "a"`, "anon", true},
	{`"a" == "b"`, "anon", false},
	{`-1 == -1.0`, "anon", true},
	{`["a", 1] == ["a", 1]`, "anon", true},
	{`["a", 1] == ["a", 2]`, "anon", false},
	{`["a"] == ["a", "a"]`, "anon", false},
	{`[[1]] == [[1]]`, "anon", true},
	{`[] == []`, "anon", true},
	{`[] != []`, "anon", false},
	{`[] == null`, "anon", false},
	{`1 == 1 == true`, "anon", true},
	{`1 == 2 == false`, "anon", true},
	{`"a" != "b" != false`, "anon", true},

	// && and || yield booleans and short-circuit.
	{`"a" || "b"`, "anon", true},
	{`("a" || "b") == true`, "anon", true},
	{`("a" || "b") == "a"`, "anon", false},
	{`("a" && 0) == false`, "anon", true},
	{`null || 0 || "" || false`, "anon", false},
	{`null || 0 || "" || "x"`, "anon", true},
	{`true && 1 && "x" && []`, "anon", true},
	{`true && 1 && "" && []`, "anon", false},
	{`false && groups.admin`, "admin", false},
	{`true || groups.admin`, "anon", true},
	{`groups.admin && true`, "admin", true},
	{`groups.admin || false`, "admin", true},
	{`groups.admin && groups.interni && isBackoffice && clientType == "apiKey"`, "admin", true},
	{`groups.admin && groups.interni && isBackoffice && clientType == "x"`, "admin", false},
	{`groups.x || groups.y || groups.z || groups.developer`, "dev", true},
	{`groups.x || groups.y || groups.z || groups.developer`, "admin", false},
	{`groups.admin && !isBackoffice || clientType == "apiKey2"`, "dev", true},
	{`!groups.admin == false`, "admin", true},
	{`!(groups.admin == false)`, "admin", true},

	// groups and permissions, every form.
	{`groups.admin`, "admin", true},
	{`groups["admin"]`, "admin", true},
	{`groups['interni']`, "admin", true},
	{`groups["a-b"]`, "dev", true},
	{`groups.in`, "dev", true},
	{`groups.admin`, "anon", false},
	{`permissions["users:read"]`, "admin", true},
	{`permissions["users:read"]`, "dev", false},
	{`permissions.x`, "dev", true},
	{`permissions.api.users.get`, "admin", true},
	{`permissions["api.users.get"]`, "admin", true},
	{`permissions.api.users`, "admin", false},
	{`permissions . api . users . get`, "admin", true},
	{`"admin" in groups`, "admin", true},
	{`'admin' in groups`, "dev", false},
	{`"users:read" in permissions`, "admin", true},
	{`"users:read" in permissions`, "anon", false},
	{`["nope", "users:read"] in permissions`, "admin", true},
	{`["nope", "x"] in permissions`, "admin", false},
	{`[] in groups`, "admin", false},
	{`[1, true, "admin"] in groups`, "admin", true},
	{`1 in groups`, "admin", false},
	{`null in groups`, "admin", false},
	{`true in groups`, "admin", false},
	{`groups.admin in groups`, "admin", false},
	{`clientType in groups`, "admin", false},
	{`user.role in groups`, "admin", true},
	{`user.roles in groups`, "admin", true},
	{`user.permList in permissions`, "admin", true},
	{`user.tags in groups`, "admin", false},
	{`user.age in groups`, "admin", false},
	{`user.missing in groups`, "admin", false},
	{`("admin" in groups) == true`, "admin", true},
	{`"admin" in groups == true`, "admin", true},
	{`groups.admin == permissions["users:read"]`, "admin", true},
	{`groups.admin == permissions["users:read"]`, "dev", true},
	{`groups.admin != isBackoffice`, "dev", false},

	// clientType and isBackoffice.
	{`clientType`, "admin", true},
	{`clientType`, "anon", false},
	{`clientType == ""`, "anon", true},
	{`clientType != ""`, "anon", false},
	{`clientType === 'apiKey'`, "admin", true},
	{`clientType !== 'apiKey'`, "admin", false},
	{`"apiKey" == clientType`, "admin", true},
	{`clientType == 1`, "admin", false},
	{`clientType == null`, "anon", false},
	{`clientType == true`, "admin", false},
	{`clientType == isBackoffice`, "admin", false},
	{`clientType == clientType`, "admin", true},
	{`clientType in ["apiKey", "apiKey2"]`, "dev", true},
	{`clientType in ["apiKey", "apiKey2"]`, "super", false},
	{`clientType in [1, "bar"]`, "super", true},
	{`clientType in "bar"`, "super", false},
	{`clientType in [clientType]`, "super", true},
	{`[clientType, "x"] == ["bar", "x"]`, "super", true},
	{`isBackoffice`, "admin", true},
	{`isBackoffice`, "dev", false},
	{`isBackoffice == true`, "anonBO", true},
	{`isBackoffice === false`, "dev", true},
	{`isBackoffice != false`, "dev", false},
	{`isBackoffice == 1`, "admin", false},
	{`isBackoffice == isBackoffice`, "dev", true},

	// user properties.
	{`user.name == "Ada"`, "admin", true},
	{`user.name`, "admin", true},
	{`user.name`, "anon", false},
	{`user.name == null`, "anon", true},
	{`user.missing == null`, "admin", true},
	{`user.missing`, "admin", false},
	{`user.nil == null`, "admin", true},
	{`user.age == 36`, "admin", true},
	{`user.age === 36.0`, "admin", true},
	{`user.age == "36"`, "admin", false},
	{`user.num == 42`, "admin", true},
	{`user.badNum == null`, "admin", true},
	{`user.int == 7`, "admin", true},
	{`user.nan`, "admin", false},
	{`user.nan == user.nan`, "admin", false},
	{`user.other == null`, "admin", true},
	{`user.active`, "admin", true},
	{`user.inactive`, "admin", false},
	{`user.active == true`, "admin", true},
	{`user.empty`, "admin", false},
	{`user.zero`, "admin", false},
	{`user.emptyList`, "admin", true},
	{`user.emptyObj`, "admin", true},
	{`user["x-y"] == "dash"`, "admin", true},
	{`user['x-y'] == "dash"`, "admin", true},
	{`user.in == "keyword"`, "admin", true},
	{`user.org.team == "core"`, "admin", true},
	{`user["org"]["team"] == "core"`, "admin", true},
	{`user.org["size"] == 5`, "admin", true},
	{`user.org.deep.x == "y"`, "admin", true},
	{`user.org.missing.x == null`, "admin", true},
	{`user.name.x == null`, "admin", true},
	{`user.org.team.x`, "admin", false},
	{`user.roles == ["admin", "ops"]`, "admin", true},
	{`user.roles == ["ops", "admin"]`, "admin", false},
	{`user.tags == ["a", "b"]`, "admin", true},
	{`user.list == user.copyList`, "admin", true},
	{`user.org == user.copyOrg`, "admin", true},
	{`user.org == user.emptyObj`, "admin", false},
	{`user.org != user.copyOrg`, "admin", false},
	{`user.list == [1, "two", ["x"], user.org]`, "admin", false},
	{`user.roles[0] == "admin"`, "admin", true},
	{`user.roles[1] == "ops"`, "admin", true},
	{`user.roles[2] == null`, "admin", true},
	{`user.tags[1] == "b"`, "admin", true},
	{`user.tags[1].x == null`, "admin", true},
	{`user.tags[5] == null`, "admin", true},
	{`user.list[2][0] == "x"`, "admin", true},
	{`user.list[3].k == "v"`, "admin", true},
	{`user.org[0] == null`, "admin", true},
	{`user.name[0] == null`, "admin", true},
	{`"admin" in user.roles`, "admin", true},
	{`"root" in user.roles`, "admin", false},
	{`"a" in user.tags`, "admin", true},
	{`1 in user.list`, "admin", true},
	{`["x"] in user.list`, "admin", true},
	{`"team" in user.org`, "admin", true},
	{`"nope" in user.org`, "admin", false},
	{`1 in user.org`, "admin", false},
	{`"A" in user.name`, "admin", false},
	{`"x" in user.missing`, "admin", false},
	{`user.name in ["Bob", "Ada"]`, "admin", true},
	{`user.age in [36]`, "admin", true},
	{`user.num in [42]`, "admin", true},
	{`user.org in [user.copyOrg]`, "admin", true},
	{`user.missing in [null]`, "admin", true},
	{`user`, "admin", true},
	{`user`, "dev", true},
	{`user`, "anon", false},
	{`user == null`, "anon", true},
	{`"name" in user`, "admin", true},
	{`"name" in user`, "dev", false},
	{`"name" in user`, "anon", false},
	{`user.roles[0] in groups`, "admin", true},

	// in with ordinary values.
	{`"a" in ["a", "b"]`, "anon", true},
	{`"c" in ["a", "b"]`, "anon", false},
	{`1 in [1, 2]`, "anon", true},
	{`1 in ["1"]`, "anon", false},
	{`null in [null]`, "anon", true},
	{`[1] in [[1], 2]`, "anon", true},
	{`"a" in []`, "anon", false},
	{`"a" in "abc"`, "anon", false},
	{`"a" in null`, "anon", false},
	{`"a" in 1`, "anon", false},
	{`("a" in ["a"]) in [true]`, "anon", true},
}

// TestExprEval runs every construct of the language on several callers.
func TestExprEval(t *testing.T) {
	envs := exprTestEnvs()
	for _, c := range exprEvalCases {
		c := c
		env := envs[c.env]
		if env == nil {
			t.Fatalf("%s: unknown env %q", c.src, c.env)
		}
		e, err := Compile(c.src)
		if err != nil {
			t.Errorf("Compile(%s): %v", c.src, err)
			continue
		}
		if got := Run(e, env); got != c.want {
			t.Errorf("%s on %s = %v, want %v", c.src, c.env, got, c.want)
		}
		if e.String() != c.src {
			t.Errorf("String() = %q, want %q", e.String(), c.src)
		}
	}
}

type exprErrCase struct {
	src string
	col int
	msg string // exact message
}

var exprErrCases = []exprErrCase{
	{``, 1, `empty expression`},
	{`   `, 1, `empty expression`},
	{`groups.admin || grops.x`, 17, `unknown identifier "grops"`},
	{`grops.admin`, 1, `unknown identifier "grops"`},
	{`foo`, 1, `unknown identifier "foo"`},
	{`true && undefined`, 9, `unknown identifier "undefined"`},
	{`groups`, 1, `"groups" can only be used as the right operand of "in" (did you mean groups.NAME?)`},
	{`groups == true`, 1, `"groups" can only be used as the right operand of "in" (did you mean groups.NAME?)`},
	{`groups in ["a"]`, 1, `"groups" can only be used as the right operand of "in" (did you mean groups.NAME?)`},
	{`!permissions`, 2, `"permissions" can only be used as the right operand of "in" (did you mean permissions.NAME?)`},
	{`"a" in [groups]`, 9, `"groups" can only be used as the right operand of "in" (did you mean groups.NAME?)`},
	{`"abc`, 1, `unterminated string`},
	{`groups.a == 'abc`, 13, `unterminated string`},
	{`"abc\`, 1, `unterminated string`},
	{`"a\qb"`, 3, `invalid escape "\\q"`},
	{`"a\u12"`, 3, `invalid escape "\\u12"`},
	{`"a\u{}"`, 3, `invalid escape "\\u{}"`},
	{`"a\u{110000}"`, 3, `invalid escape "\\u{110"`},
	{`(groups.admin`, 1, `unclosed "(": missing ")"`},
	{`((true)`, 1, `unclosed "(": missing ")"`},
	{`(true))`, 7, `unexpected ")" without matching "("`},
	{`groups.admin)`, 13, `unexpected ")" without matching "("`},
	{`()`, 2, `unexpected ")"`},
	{`(true false)`, 7, `expected ")", found keyword "false"`},
	{`["a", "b"`, 1, `unclosed "[": missing "]"`},
	{`["a" "b"]`, 6, `expected "," or "]", found string "b"`},
	{`["a",]`, 6, `unexpected "]"`},
	{`[,]`, 2, `unexpected ","`},
	{`["a",`, 6, `unexpected end of expression`},
	{`true false`, 6, `unexpected keyword "false" after complete expression`},
	{`groups.a groups.b`, 10, `unexpected identifier "groups" after complete expression`},
	{`true 1`, 6, `unexpected number 1 after complete expression`},
	{`true "x"`, 6, `unexpected string "x" after complete expression`},
	{`1 -1`, 3, `unexpected number -1 after complete expression`},
	{`true &&`, 8, `unexpected end of expression`},
	{`&& true`, 1, `unexpected "&&"`},
	{`|| true`, 1, `unexpected "||"`},
	{`!`, 2, `unexpected end of expression`},
	{`true ==`, 8, `unexpected end of expression`},
	{`== true`, 1, `unexpected "=="`},
	{`in groups`, 1, `unexpected keyword "in"`},
	{`"a" in in`, 8, `unexpected keyword "in"`},
	{`a = 1`, 1, `unknown identifier "a"`},
	{`groups.a = 1`, 10, `unexpected "=" (use "==" or "===" to compare)`},
	{`("abc`, 2, `unterminated string`},
	{`["a", "b\q"]`, 9, `invalid escape "\\q"`},
	{`foo("abc`, 1, `unknown identifier "foo"`},
	{`(true true "abc`, 7, `expected ")", found keyword "true"`},
	{`"a\q"`, 3, `invalid escape "\\q"`},
	{`clientType = "x"`, 12, `unexpected "=" (use "==" or "===" to compare)`},
	{`true & false`, 6, `unexpected "&" (use "&&")`},
	{`true | false`, 6, `unexpected "|" (use "||")`},
	{`true ^ false`, 6, `unexpected character '^'`},
	{`true é`, 6, `unexpected character 'é'`},
	{`clientType.x`, 11, `unexpected "." after complete expression`},
	{`isBackoffice[0]`, 13, `unexpected "[" after complete expression`},
	{`groups.`, 8, `expected a name after ".", found end of expression`},
	{`groups.1`, 8, `expected a name after ".", found number 1`},
	{`groups."a"`, 8, `expected a name after ".", found string "a"`},
	{`groups[1]`, 8, `expected a string inside groups[…], found number 1`},
	{`permissions[clientType]`, 13, `expected a string inside permissions[…], found identifier "clientType"`},
	{`groups["a"`, 11, `expected "]", found end of expression`},
	{`groups["a"].b`, 12, `unexpected "." after complete expression`},
	{`user.`, 6, `expected a name after ".", found end of expression`},
	{`user[`, 6, `expected a string or an index inside […], found end of expression`},
	{`user[-1]`, 6, `array index must be a non-negative integer, found number -1`},
	{`user[1.5]`, 6, `array index must be a non-negative integer, found number 1.5`},
	{`user[true]`, 6, `expected a string or an index inside […], found keyword "true"`},
	{`user["a"`, 9, `expected "]", found end of expression`},
	{`1abc`, 1, `invalid number "1a"`},
	{`1.`, 2, `unexpected "." after complete expression`},
	{`.5`, 1, `unexpected "."`},
	{`true.x`, 5, `unexpected "." after complete expression`},
	{strings.Repeat("(", 101) + "true" + strings.Repeat(")", 101), 101, `expression nested too deeply (more than 100 levels)`},
	{strings.Repeat("!", 101) + "true", 101, `expression nested too deeply (more than 100 levels)`},
	{strings.Repeat("[", 101) + strings.Repeat("]", 101), 101, `expression nested too deeply (more than 100 levels)`},
	{"true" + strings.Repeat(" == true", 101), 4 + 8*100 + 2, `expression nested too deeply (more than 100 levels)`},
	{strings.Repeat("1", 400), 1, `invalid number "` + strings.Repeat("1", 400) + `"`},
	{strings.Repeat(" ", 4096) + "x", 4097, `expression longer than 4096 bytes`},
}

// TestErrors checks each compile error: its column and exact message.
func TestErrors(t *testing.T) {
	for _, c := range exprErrCases {
		c := c
		e, err := Compile(c.src)
		if err == nil {
			t.Errorf("Compile(%q) = %v, want an error", c.src, e)
			continue
		}
		xe, ok := err.(*Error)
		if !ok {
			t.Errorf("Compile(%q): error %v is not an *Error", c.src, err)
			continue
		}
		if xe.Column != c.col || xe.Msg != c.msg {
			t.Errorf("Compile(%q) = column %d: %s\n                    want column %d: %s", c.src, xe.Column, xe.Msg, c.col, c.msg)
		}
		want := "column " + strconv.Itoa(c.col) + ": " + c.msg
		if err.Error() != want {
			t.Errorf("Error() = %q, want %q", err.Error(), want)
		}
	}
}

// TestErrorFormat pins the "column N: msg" form of Error.
func TestErrorFormat(t *testing.T) {
	_, err := Compile(`groups.admin || grops.x`)
	if err == nil || err.Error() != `column 17: unknown identifier "grops"` {
		t.Fatalf("got %v", err)
	}
	var e error = &Error{Column: 9, Msg: `unknown identifier "grops"`}
	if e.Error() != `column 9: unknown identifier "grops"` {
		t.Fatalf("got %q", e.Error())
	}
	if errors.Unwrap(e) != nil {
		t.Fatal("Error wraps nothing")
	}
}

// TestExprLimitsAccepted checks that input exactly at the limits compiles.
func TestExprLimitsAccepted(t *testing.T) {
	// Exactly at the limits: accepted.
	srcs := []string{
		strings.Repeat("(", 100) + "true" + strings.Repeat(")", 100),
		strings.Repeat("!", 100) + "true",
		"true" + strings.Repeat(" == true", 100),
		strings.Repeat(" ", 4092) + "true",
		// Long flat chains are not nesting.
		"groups.a" + strings.Repeat(" || groups.a", 300),
		"groups.a" + strings.Repeat(" && groups.a", 300),
	}
	for _, s := range srcs {
		if _, err := Compile(s); err != nil {
			t.Errorf("%.40q…: %v", s, err)
		}
	}
}

// TestExprNilEnvAndNilExpression checks the defensive paths of Run.
func TestExprNilEnvAndNilExpression(t *testing.T) {
	e, err := Compile(`!groups.admin && !user.name && clientType == ""`)
	if err != nil {
		t.Fatal(err)
	}
	if !Run(e, nil) {
		t.Error("nil env should be anonymous")
	}
	if !Run(e, &Env{}) {
		t.Error("the zero env should be anonymous")
	}
	var nilExpr *Expression
	if Run(nilExpr, &Env{}) || nilExpr.String() != "" {
		t.Error("nil expression should be false and empty")
	}
	if Run((&Expression{}), nil) {
		t.Error("zero expression should be false")
	}
}

// TestExprConcurrentEval shares one Expression between goroutines (run with -race).
func TestExprConcurrentEval(t *testing.T) {
	e, err := Compile(`groups.admin && user.org.team == "core" && "ops" in user.roles`)
	if err != nil {
		t.Fatal(err)
	}
	envs := exprTestEnvs()
	var wg sync.WaitGroup
	fails := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if !Run(e, envs["admin"]) || Run(e, envs["dev"]) {
					fails <- "wrong result"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(fails)
	for f := range fails {
		t.Fatal(f)
	}
}

// exprInterpreted reports whether the tests run under yaegi, where
// interpreted types have no name and allocation counts mean nothing.
func exprInterpreted() bool {
	return reflect.TypeOf(exprToken{}).Name() == ""
}

// exprBenchCases are typical rule expressions; all must evaluate without
// allocating.
var exprBenchCases = []struct {
	name string
	src  string
}{
	{"group", `groups.admin`},
	{"groupOrPerm", `groups.admin || permissions["users:read"]`},
	{"backoffice", `isBackoffice && (groups.admin || groups.interni)`},
	{"clientType", `clientType == "apiKey" || clientType == "apiKey2"`},
	{"inGroups", `["admin", "user"] in groups`},
	{"not", `!groups.developer`},
	{"dottedPerm", `groups.superadmin || permissions.api.users.get`},
	{"strictEq", `(groups.admin === true)`},
	{"userProp", `user.org.team == "core" && "ops" in user.roles`},
	{"mixed", `(groups.x || groups.y || groups.interni) && clientType != "bot" && user.age == 36`},
}

// TestExprZeroAlloc checks that typical expressions evaluate without allocating.
func TestExprZeroAlloc(t *testing.T) {
	if exprInterpreted() {
		t.Skip("allocation counts are meaningless under yaegi")
	}
	env := exprTestEnvs()["admin"]
	for _, c := range exprBenchCases {
		c := c
		e, err := Compile(c.src)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { Run(e, env) }); n != 0 {
			t.Errorf("%s: %v allocs per Eval, want 0", c.src, n)
		}
	}
}

// BenchmarkExprEval measures Eval on typical expressions; run with
// -benchmem to see the (zero) allocations.
func BenchmarkExprEval(b *testing.B) {
	env := exprTestEnvs()["admin"]
	for _, c := range exprBenchCases {
		c := c
		e, err := Compile(c.src)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				Run(e, env)
			}
		})
	}
}

// BenchmarkExprCompile measures compilation (done once per rule at load).
func BenchmarkExprCompile(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(`isBackoffice && (groups.admin || permissions["users:read"]) && user.org.team == "core"`); err != nil {
			b.Fatal(err)
		}
	}
}

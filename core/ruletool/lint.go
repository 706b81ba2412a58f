package ruletool

import (
	"strconv"
	"strings"

	"github.com/aclgate/aclgate/core/expr"
	"github.com/aclgate/aclgate/core/rules"
)

// Finding is one problem Lint found: where (the key and the method block,
// "-" for the key as a whole), what, and why it matters.
type Finding struct {
	File, Key, Method string
	What, Why         string
}

// String is the finding's line: "FILE: KEY METHOD: what: why".
func (f *Finding) String() string {
	return f.File + ": " + f.Key + " " + f.Method + ": " + f.What + ": " + f.Why
}

// LintFile loads the rules file and lints it; a file that does not load is
// an error.
func LintFile(file string) ([]Finding, error) {
	set, err := rules.Load(rules.Source{File: file})
	if err != nil {
		return nil, err
	}
	return Lint(set, file), nil
}

// Lint lists the findings of set, key by key in order of specificity.
func Lint(set *rules.Set, file string) []Finding {
	keys := rules.Keys(set)
	var out []Finding
	add := func(key, method, what, why string) {
		out = append(out, Finding{File: file, Key: key, Method: method, What: what, Why: why})
	}
	for i := 0; i < len(keys); i++ {
		k := keys[i]
		for j := 0; j < len(k.Aliases); j++ {
			add(k.Aliases[j], "-", "two spellings of one key", "it is the key "+k.Key+"; their blocks are merged")
		}
		for j := 0; j < len(k.Blocks); j++ {
			b := k.Blocks[j]
			lintBlock(set, &k, &b, add)
		}
	}
	lintParamNames(keys, add)
	return out
}

// lintBlock checks one method block of a key.
func lintBlock(set *rules.Set, k *rules.KeyInfo, b *rules.BlockInfo, add func(key, method, what, why string)) {
	pairs := []struct {
		field string
		az    *rules.Authorization
	}{{"authorization", b.Front}, {"backofficeAuthorization", b.Back}}
	for i := 0; i < len(pairs); i++ {
		az := pairs[i].az
		if az == nil {
			continue
		}
		where := b.Method + " " + pairs[i].field
		src := strings.TrimSpace(az.Expr.String())
		if v, ok := az.Expr.Constant(); ok && src != "true" && src != "false" {
			add(k.Key, where, "constant expression", strconv.Quote(src)+" is always "+strconv.FormatBool(v)+": it reads nothing of the request (write "+strconv.FormatBool(v)+")")
		}
		if _, ok := az.Expr.Constant(); !ok && az.Public && needsUser(az.Expr, i == 1) {
			add(k.Key, where, "public, but the expression needs a user", strconv.Quote(src)+" is false for every anonymous caller, so anonymous requests get 401 anyway: drop public or fix the expression")
		}
		if !reached(k, az) {
			add(k.Key, where, "never applies", "every method it covers resolves to another block of this key")
		}
	}
	if b.Back != nil && b.Front == nil {
		var methods []string
		for m := 0; m < len(rules.Methods); m++ {
			r := k.Resolved[rules.Methods[m]]
			if r[0] == nil && r[1] == b.Back {
				methods = append(methods, rules.Methods[m])
			}
		}
		if len(methods) > 0 {
			add(k.Key, b.Method, "backoffice only", "a frontend "+strings.Join(methods, "/")+" request falls through to "+
				fallThrough(set, k, methods[0])+": add an authorization block")
		}
	}
}

// reached reports whether some request method and backoffice flag
// resolve to az at its key.
func reached(k *rules.KeyInfo, az *rules.Authorization) bool {
	for m := 0; m < len(rules.Methods); m++ {
		r := k.Resolved[rules.Methods[m]]
		if r[0] == az || r[1] == az {
			return true
		}
	}
	return false
}

// fallThrough names what decides a frontend request of method at a path
// of key k when k passes it on.
func fallThrough(set *rules.Set, k *rules.KeyInfo, method string) string {
	p := ""
	for i := 0; i < len(k.Segments); i++ {
		s := k.Segments[i]
		if k.Params[i] {
			s = "x"
		}
		p += "/" + s
	}
	if p == "" {
		p = "/"
	}
	az := rules.Lookup(set, p, method, false)
	if az == nil {
		return "no rule (route not found)"
	}
	return strconv.Quote(az.Route)
}

// needsUser reports whether e is false for every anonymous caller: any
// client type it compares with (or none), in the backoffice or not.
func needsUser(e *expr.Expression, backofficeOnly bool) bool {
	types := append([]string{""}, stringLiterals(e.String())...)
	for i := 0; i < len(types); i++ {
		for bo := 0; bo < 2; bo++ {
			if backofficeOnly && bo == 0 {
				continue
			}
			if expr.Run(e, &expr.Env{ClientType: types[i], IsBackoffice: bo == 1}) {
				return false
			}
		}
	}
	return true
}

// stringLiterals returns the string literals of an expression's source
// (escapes resolved as far as strconv does; good enough for client types).
func stringLiterals(src string) []string {
	var out []string
	for i := 0; i < len(src); i++ {
		q := src[i]
		if q != '"' && q != '\'' {
			continue
		}
		j := i + 1
		for j < len(src) && src[j] != q {
			if src[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(src) {
			break
		}
		lit := src[i+1 : j]
		if s, err := strconv.Unquote(`"` + strings.ReplaceAll(lit, `"`, `\"`) + `"`); err == nil {
			lit = s
		}
		out = append(out, lit)
		i = j
	}
	return out
}

// lintParamNames finds keys that name the parameter at one position
// differently (/a/:x beside /a/:y/z): one name would mean two things.
func lintParamNames(keys []rules.KeyInfo, add func(key, method, what, why string)) {
	type spelled struct {
		key  string
		segs []string
	}
	var all []spelled
	for i := 0; i < len(keys); i++ {
		all = append(all, spelled{keys[i].Key, keys[i].Segments})
		for j := 0; j < len(keys[i].Aliases); j++ {
			a := keys[i].Aliases[j]
			all = append(all, spelled{a, strings.Split(strings.Trim(a, "/"), "/")})
		}
	}
	for i := 1; i < len(all); i++ { // insertion sort by key: stable, no reflection
		for j := i; j > 0 && all[j].key < all[j-1].key; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	for i := 0; i < len(all); i++ {
		for j := i + 1; j < len(all); j++ {
			a, b := all[i].segs, all[j].segs
			for s := 0; s < len(a) && s < len(b); s++ {
				na, pa := paramName(a[s])
				nb, pb := paramName(b[s])
				if pa && pb {
					if na != nb {
						add(all[j].key, "-", "two names for one parameter",
							"segment "+strconv.Itoa(s+1)+" is "+strconv.Quote(na)+" in "+all[i].key+" and "+strconv.Quote(nb)+" here: use one name")
						break
					}
					continue
				}
				if pa || pb || a[s] != b[s] {
					break
				}
			}
		}
	}
}

// paramName returns the name of a parameter segment (":id", "{id}").
func paramName(seg string) (string, bool) {
	if len(seg) > 1 && seg[0] == ':' {
		return seg[1:], true
	}
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

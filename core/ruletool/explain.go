package ruletool

import (
	"strconv"
	"strings"

	"github.com/aclgate/aclgate/core"
	"github.com/aclgate/aclgate/core/expr"
	"github.com/aclgate/aclgate/core/rules"
)

// Explain decides req with the rules of rulesFile and opts, and describes
// how: the canonical path, every key that matches it (most specific
// first) with the block each gives the request, the chosen block, its
// expression and value, and the status in both columns of the decision
// table. The decision is core's own.
func Explain(rulesFile string, opts Options, req *Request) (string, error) {
	set, err := rules.Load(rules.Source{File: rulesFile})
	if err != nil {
		return "", err
	}
	ds, err := newDeciders(rulesFile, opts)
	if err != nil {
		return "", err
	}
	defer ds.close()
	strict, err := decide(ds.strict, &ds.opts, req)
	if err != nil {
		return "", err
	}
	lax, err := decide(ds.lax, &ds.opts, req)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	line := func(label, value string) {
		b.WriteString(label + strings.Repeat(" ", 16-len(label)) + value + "\n")
	}
	side := "frontend"
	if opts.Backoffice {
		side = "backoffice"
	}
	line("request:", req.Method+" "+req.Path+" ("+side+" request)")
	line("caller:", caller(&strict, &lax))
	if strict.Path == "" {
		line("canonical path:", "none: the path is refused")
		outcomes(line, &strict, &lax)
		return b.String(), nil
	}
	line("canonical path:", strict.Path)
	matches := rules.Matches(set, strict.Path, req.Method, strict.Backoffice)
	var chosen *rules.Authorization
	b.WriteString("matching keys, most specific first:\n")
	if len(matches) == 0 {
		b.WriteString("  (none)\n")
	}
	for i := 0; i < len(matches); i++ {
		m := matches[i]
		what := "no block for " + req.Method + " on a " + side + " request: passes it on"
		if m.Auth != nil {
			what = m.Block
			if chosen == nil {
				chosen = m.Auth
				what += "   <- chosen"
			} else {
				what += "   (not reached)"
			}
		}
		b.WriteString("  " + m.Key + strings.Repeat(" ", pad(matches, m.Key)) + what + "\n")
	}
	if chosen == nil {
		line("chosen rule:", "none (route not found)")
	} else {
		line("chosen rule:", strconv.Quote(chosen.Route)+", public: "+strconv.FormatBool(chosen.Public))
		line("expression:", chosen.Expr.String())
		line("value:", value(chosen, &strict))
	}
	outcomes(line, &strict, &lax)
	return b.String(), nil
}

func pad(matches []rules.Match, key string) int {
	w := 0
	for i := 0; i < len(matches); i++ {
		if len(matches[i].Key) > w {
			w = len(matches[i].Key)
		}
	}
	return w - len(key) + 2
}

// caller describes who the Authorizer saw.
func caller(strict, lax *core.Decision) string {
	u := &strict.User
	if strict.Reason == core.ReasonBadRequest {
		u = &lax.User
	}
	s := "anonymous"
	if u.ID != "" {
		s = "user " + strconv.Quote(u.ID) + ", groups [" + strings.Join(u.Groups, ", ") + "], permissions [" + strings.Join(u.Permissions, ", ") + "]"
	}
	return s + ", client type " + strconv.Quote(strict.ClientType)
}

// value evaluates the chosen expression for the caller of d, as the
// Authorizer does.
func value(az *rules.Authorization, d *core.Decision) string {
	u := &d.User
	if !az.Public && u.ID == "" {
		return "not evaluated: anonymous caller and public: false"
	}
	env := expr.Env{Groups: u.Groups, Permissions: u.Permissions, User: u.Properties,
		ClientType: d.ClientType, IsBackoffice: d.Backoffice}
	if u.ID == "" {
		env.User = nil
	} else if env.User == nil {
		env.User = map[string]any{}
	}
	return strconv.FormatBool(expr.Run(az.Expr, &env))
}

// outcomes writes both columns of the decision table.
func outcomes(line func(label, value string), strict, lax *core.Decision) {
	line("strict:", outcome(strict))
	line("non-strict:", outcome(lax))
}

func outcome(d *core.Decision) string {
	s := strconv.Itoa(d.Status) + " " + d.Reason
	if d.Status == 200 {
		allowed := "0"
		if d.Allowed {
			allowed = "1"
		}
		s += " (mia-allowed " + allowed + ")"
	}
	return s
}

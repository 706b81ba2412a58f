package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
)

// Method indexes of the rule table. methodAll is the `ALL` block.
const (
	methodGET = iota
	methodPOST
	methodPUT
	methodPATCH
	methodDELETE
	methodHEAD
	methodOPTIONS
	methodAll
	numMethods
)

var methodNames = [numMethods]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ALL"}

// methodIndex maps a request or rule method to its index, -1 when unknown.
// Methods are case-sensitive (SPEC §3.3).
func methodIndex(m string) int {
	switch m {
	case "GET":
		return methodGET
	case "POST":
		return methodPOST
	case "PUT":
		return methodPUT
	case "PATCH":
		return methodPATCH
	case "DELETE":
		return methodDELETE
	case "HEAD":
		return methodHEAD
	case "OPTIONS":
		return methodOPTIONS
	case "ALL":
		return methodAll
	}
	return -1
}

// authorization is one compiled `{expression, public}` block.
type authorization struct {
	expr   *Expression
	public bool
	// always: the expression is the constant true (no need to run it)
	always bool
	// route names the rule in logs: "GET /users/:id".
	route string
}

// methodBlock holds the two authorizations of one path+method.
type methodBlock struct {
	front *authorization // "authorization"
	back  *authorization // "backofficeAuthorization"
}

// ruleSet is the list of route keys of one configuration, most specific first.
type ruleSet struct {
	routes []*route
	// Per method and backoffice flag (index 2*method+backoffice), what
	// ruleLookup searches: exact maps the keys without parameters nor
	// trailing "/" to their authorization, and scan lists the other routes
	// that have one, most specific first. A key of exact that equals the
	// path is the most specific match there is, so the map answers most
	// requests without a scan (a long scan is costly under yaegi).
	exact  [2 * methodAll]map[string]*authorization
	scan   [2 * methodAll][]*route
	scanAz [2 * methodAll][]*authorization // scan[k][i]'s authorization
}

// methodSlots maps a request method to its index in ruleSet.exact and
// ruleSet.scan, before adding the backoffice flag.
var methodSlots = map[string]int{
	"GET": 2 * methodGET, "POST": 2 * methodPOST, "PUT": 2 * methodPUT, "PATCH": 2 * methodPATCH,
	"DELETE": 2 * methodDELETE, "HEAD": 2 * methodHEAD, "OPTIONS": 2 * methodOPTIONS,
}

// loadRules builds the rule set from the file, the inline JSON and the inline
// rules of cfg. Every error names the source, path, method and field.
func loadRules(cfg *Config) (*ruleSet, error) {
	b := newRuleBuilder()
	if cfg.RulesFile != "" {
		data, err := os.ReadFile(cfg.RulesFile)
		if err != nil {
			return nil, errors.New("rules_file: " + err.Error())
		}
		if err := b.addJSON(data, "rules_file "+cfg.RulesFile); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(cfg.RulesJSON) != "" {
		if err := b.addJSON([]byte(cfg.RulesJSON), "rules_json"); err != nil {
			return nil, err
		}
	}
	for i := 0; i < len(cfg.Rules); i++ {
		r := cfg.Rules[i]
		field := "authorization"
		if r.Backoffice {
			field = "backofficeAuthorization"
		}
		if err := b.add("rule", r.Path, r.Method, field, r.Expression, r.Public); err != nil {
			return nil, err
		}
	}
	return b.build(), nil
}

type ruleBuilder struct {
	byPattern map[string]*route
	order     []*route
}

func newRuleBuilder() *ruleBuilder {
	return &ruleBuilder{byPattern: map[string]*route{}}
}

func ruleErr(src, path, method, field, msg string) error {
	s := src + ": path " + quote(path)
	if method != "" {
		s += ", method " + quote(method)
	}
	if field != "" {
		s += ", field " + quote(field)
	}
	return errors.New(s + ": " + msg)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// add compiles one authorization and stores it under path+method.
func (b *ruleBuilder) add(src, path, method, field, expression string, public bool) error {
	rt, err := b.route(src, path)
	if err != nil {
		return err
	}
	mi := methodIndex(method)
	if mi < 0 {
		return ruleErr(src, path, method, "", "unknown method (want GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ALL)")
	}
	expr, err := CompileExpression(expression)
	if err != nil {
		return ruleErr(src, path, method, field+".expression", err.Error())
	}
	az := &authorization{expr: expr, public: public, route: method + " " + path,
		always: expr.code.op == opConst && expr.code.b}
	blk := rt.blocks[mi]
	if blk == nil {
		blk = &methodBlock{}
		rt.blocks[mi] = blk
	}
	slot := &blk.front
	if field == "backofficeAuthorization" {
		slot = &blk.back
	}
	if *slot != nil {
		return ruleErr(src, path, method, field, "defined twice")
	}
	*slot = az
	return nil
}

// route returns the route for a path key, creating it on first use.
func (b *ruleBuilder) route(src, key string) (*route, error) {
	rt, err := parseRouteKey(key)
	if err != nil {
		return nil, ruleErr(src, key, "", "", err.Error())
	}
	if old := b.byPattern[rt.pattern]; old != nil {
		return old, nil
	}
	b.byPattern[rt.pattern] = rt
	b.order = append(b.order, rt)
	return rt, nil
}

// addJSON reads a Mia auth.json document strictly: unknown or duplicate keys,
// wrong types and missing fields are errors.
func (b *ruleBuilder) addJSON(data []byte, src string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	bad := func(path, method, field, msg string) error { return ruleErr(src, path, method, field, msg) }
	if err := expectDelim(dec, '{'); err != nil {
		return errors.New(src + ": " + err.Error())
	}
	seenPath := map[string]bool{}
	for dec.More() {
		path, err := objectKey(dec)
		if err != nil {
			return errors.New(src + ": " + err.Error())
		}
		if seenPath[path] {
			return bad(path, "", "", "path defined twice")
		}
		seenPath[path] = true
		if !strings.HasPrefix(path, "/") {
			return bad(path, "", "", "paths must start with /")
		}
		if err := expectDelim(dec, '{'); err != nil {
			return bad(path, "", "", err.Error())
		}
		seenMethod := map[string]bool{}
		for dec.More() {
			method, err := objectKey(dec)
			if err != nil {
				return bad(path, "", "", err.Error())
			}
			if methodIndex(method) < 0 {
				return bad(path, method, "", "unknown method (want GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ALL)")
			}
			if seenMethod[method] {
				return bad(path, method, "", "method defined twice")
			}
			seenMethod[method] = true
			if err := expectDelim(dec, '{'); err != nil {
				return bad(path, method, "", err.Error())
			}
			found := 0
			seenField := map[string]bool{}
			for dec.More() {
				field, err := objectKey(dec)
				if err != nil {
					return bad(path, method, "", err.Error())
				}
				if field != "authorization" && field != "backofficeAuthorization" {
					return bad(path, method, field, "unknown field (want authorization or backofficeAuthorization)")
				}
				if seenField[field] {
					return bad(path, method, field, "defined twice")
				}
				seenField[field] = true
				expression, public, ferr := readAuthorization(dec)
				if ferr != nil {
					return bad(path, method, field+ferr.field, ferr.msg)
				}
				if err := b.add(src, path, method, field, expression, public); err != nil {
					return err
				}
				found++
			}
			if err := expectDelim(dec, '}'); err != nil {
				return bad(path, method, "", err.Error())
			}
			if found == 0 {
				return bad(path, method, "", "needs authorization or backofficeAuthorization")
			}
		}
		if err := expectDelim(dec, '}'); err != nil {
			return bad(path, "", "", err.Error())
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return errors.New(src + ": " + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New(src + ": unexpected data after the rules object")
	}
	return nil
}

type fieldError struct {
	field string
	msg   string
}

// readAuthorization reads `{"expression": "...", "public": bool}`.
func readAuthorization(dec *json.Decoder) (string, bool, *fieldError) {
	if err := expectDelim(dec, '{'); err != nil {
		return "", false, &fieldError{"", err.Error()}
	}
	var expression string
	var public, haveExpr, havePublic bool
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return "", false, &fieldError{"", err.Error()}
		}
		tok, err := dec.Token()
		if err != nil {
			return "", false, &fieldError{"." + key, err.Error()}
		}
		switch key {
		case "expression":
			if haveExpr {
				return "", false, &fieldError{".expression", "defined twice"}
			}
			s, ok := tok.(string)
			if !ok {
				return "", false, &fieldError{".expression", "must be a string"}
			}
			expression, haveExpr = s, true
		case "public":
			if havePublic {
				return "", false, &fieldError{".public", "defined twice"}
			}
			v, ok := tok.(bool)
			if !ok {
				return "", false, &fieldError{".public", "must be true or false"}
			}
			public, havePublic = v, true
		default:
			return "", false, &fieldError{"." + key, "unknown field (want expression and public)"}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return "", false, &fieldError{"", err.Error()}
	}
	if !haveExpr {
		return "", false, &fieldError{".expression", "missing"}
	}
	if !havePublic {
		return "", false, &fieldError{".public", "missing"}
	}
	return expression, public, nil
}

func expectDelim(dec *json.Decoder, want byte) error {
	tok, err := dec.Token()
	if err != nil {
		return errors.New("invalid JSON: " + err.Error())
	}
	d, ok := tok.(json.Delim)
	if !ok || byte(d) != want {
		if want == '{' {
			return errors.New("expected a JSON object")
		}
		return errors.New("invalid JSON: expected " + string(want))
	}
	return nil
}

func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", errors.New("invalid JSON: " + err.Error())
	}
	s, ok := tok.(string)
	if !ok {
		return "", errors.New("invalid JSON: expected an object key")
	}
	return s, nil
}

// build sorts the routes by specificity and resolves each route's lookup
// table.
func (b *ruleBuilder) build() *ruleSet {
	routes := make([]*route, len(b.order))
	copy(routes, b.order)
	// insertion sort: stable, no reflection, config time only
	for i := 1; i < len(routes); i++ {
		for j := i; j > 0 && moreSpecific(routes[j], routes[j-1]); j-- {
			routes[j], routes[j-1] = routes[j-1], routes[j]
		}
	}
	s := &ruleSet{routes: routes}
	for i := 0; i < len(routes); i++ {
		rt := routes[i]
		rt.resolve()
		for k := 0; k < 2*methodAll; k++ {
			az := rt.table[k/2][k%2]
			if az == nil {
				continue
			}
			if rt.literal && !rt.prefix {
				if s.exact[k] == nil {
					s.exact[k] = map[string]*authorization{}
				}
				s.exact[k][rt.lit] = az
			} else {
				s.scan[k] = append(s.scan[k], rt)
				s.scanAz[k] = append(s.scanAz[k], az)
			}
		}
	}
	return s
}

// lookup returns the authorization for a canonical path, method and
// backoffice flag, or nil when no rule covers the request (SPEC §3.2–§3.4).
func (s *ruleSet) lookup(path, method string, backoffice bool) *authorization {
	return ruleLookup(s, path, method, backoffice)
}

// ruleLookup is lookup as a plain function (cheaper under yaegi).
func ruleLookup(s *ruleSet, path, method string, backoffice bool) *authorization {
	k, ok := methodSlots[method]
	if !ok {
		return nil
	}
	if backoffice {
		k++
	}
	if az := s.exact[k][path]; az != nil {
		return az
	}
	scan := s.scan[k]
	var rt *route
	for i := 0; i < len(scan); i++ {
		rt = scan[i]
		// prefix keys without parameters: one comparison
		if rt.literal {
			if path == rt.lit || strings.HasPrefix(path, rt.litSlash) {
				return s.scanAz[k][i]
			}
		} else if routeMatch(rt, path) {
			return s.scanAz[k][i]
		}
	}
	return nil
}

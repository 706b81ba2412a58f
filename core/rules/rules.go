package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/aclgate/aclgate/core/expr"
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

// methodIndex maps a request or rule method to its index, -1 when unknown.
// Methods are case-sensitive.
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

// Authorization is one compiled `{expression, public}` block: what
// Lookup returns for a request.
type Authorization struct {
	// Expr is the compiled expression.
	Expr *expr.Expression
	// Public allows the anonymous caller to be decided by Expr; otherwise
	// an anonymous caller is refused before Expr runs.
	Public bool
	// Always is true when Expr is the constant true: nothing to run.
	Always bool
	// Route names the rule in logs and metrics: "GET /users/:id".
	Route string
}

// methodBlock holds the two authorizations of one path+method.
type methodBlock struct {
	front *Authorization // "authorization"
	back  *Authorization // "backofficeAuthorization"
	// where each was defined, for "defined twice" errors (load time only)
	frontFrom, backFrom string
}

// Set is the compiled rules of one configuration: the route keys, most
// specific first, and the tables Lookup searches. It is immutable and safe
// for concurrent use.
type Set struct {
	routes []*route
	// Per method and backoffice flag (index 2*method+backoffice), what
	// Lookup searches: exact maps the keys without parameters nor
	// trailing "/" to their authorization, and scan lists the other routes
	// that have one, most specific first. A key of exact that equals the
	// path is the most specific match there is, so the map answers most
	// requests without a scan (a long scan is costly under yaegi).
	exact  [2 * methodAll]map[string]*Authorization
	scan   [2 * methodAll][]*route
	scanAz [2 * methodAll][]*Authorization // scan[k][i]'s authorization
}

// methodSlots maps a request method to its index in Set.exact and
// Set.scan, before adding the backoffice flag.
var methodSlots = map[string]int{
	"GET": 2 * methodGET, "POST": 2 * methodPOST, "PUT": 2 * methodPUT, "PATCH": 2 * methodPATCH,
	"DELETE": 2 * methodDELETE, "HEAD": 2 * methodHEAD, "OPTIONS": 2 * methodOPTIONS,
}

// Source says where the rules of one configuration come from. The three
// are merged; the same path and method defined twice is an error.
type Source struct {
	// File is the path of a Mia auth.json document (option rules_file).
	File string
	// Option is the option that names File in errors; "rules_file" when
	// empty (the shadow rules file is another).
	Option string
	// FileData, when non-nil, is the content of File, already read (hot
	// reload hashes the bytes it loads); File then only names it.
	FileData []byte
	// JSON is the same document given inline (option rules_json).
	JSON string
	// Rules are inline rules (option rule in Caddy, rules in Traefik).
	Rules []Rule
}

// Rule is one inline rule.
type Rule struct {
	// Method is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ALL.
	Method string
	// Path is the route key, such as /users/:id or /api/.
	Path string
	// Expression is the ACL expression.
	Expression string
	// Public lets the anonymous caller be decided by the expression.
	Public bool
	// Backoffice puts the rule into backofficeAuthorization.
	Backoffice bool
	// Name, when set, is how errors name this rule (an adapter's own
	// spelling, such as "rules[2]"); by default "rule[N]", counting from 0.
	Name string
}

// Load reads, checks and compiles the rules of src. Every error names the
// source (rules_file and its path, rules_json or rule), the path, the
// method and the field, and for expressions the column.
func Load(src Source) (*Set, error) {
	b := newRuleBuilder()
	if src.File != "" {
		option := src.Option
		if option == "" {
			option = "rules_file"
		}
		data := src.FileData
		if data == nil {
			var err error
			if data, err = os.ReadFile(src.File); err != nil {
				return nil, errors.New(option + ": " + err.Error())
			}
		}
		if err := b.addJSON(data, option+" "+quote(src.File)); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(src.JSON) != "" {
		if err := b.addJSON([]byte(src.JSON), "rules_json"); err != nil {
			return nil, err
		}
	}
	for i := 0; i < len(src.Rules); i++ {
		r := src.Rules[i]
		field := "authorization"
		if r.Backoffice {
			field = "backofficeAuthorization"
		}
		name := r.Name
		if name == "" {
			name = "rule[" + strconv.Itoa(i) + "]"
		}
		if err := b.add(name, r.Path, r.Method, field, r.Expression, r.Public); err != nil {
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
	e, err := expr.Compile(expression)
	if err != nil {
		return ruleErr(src, path, method, field+".expression", err.Error())
	}
	value, constant := e.Constant()
	az := &Authorization{Expr: e, Public: public, Route: method + " " + path, Always: constant && value}
	blk := rt.blocks[mi]
	if blk == nil {
		blk = &methodBlock{}
		rt.blocks[mi] = blk
	}
	slot, origin := &blk.front, &blk.frontFrom
	if field == "backofficeAuthorization" {
		slot, origin = &blk.back, &blk.backFrom
	}
	if *slot != nil {
		msg := "defined twice: already defined by " + *origin
		if rt.key != path {
			msg += " as " + quote(rt.key) + " (keys that differ only in their parameter names are the same route)"
		}
		return ruleErr(src, path, method, field, msg)
	}
	*slot = az
	*origin = src
	return nil
}

// route returns the route for a path key, creating it on first use.
func (b *ruleBuilder) route(src, key string) (*route, error) {
	rt, err := parseRouteKey(key)
	if err != nil {
		return nil, ruleErr(src, key, "", "", err.Error())
	}
	if old := b.byPattern[rt.pattern]; old != nil {
		if key != old.key && !hasString(old.aliases, key) {
			old.aliases = append(old.aliases, key)
		}
		return old, nil
	}
	b.byPattern[rt.pattern] = rt
	b.order = append(b.order, rt)
	return rt, nil
}

// addJSON reads a Mia auth.json document strictly: unknown or duplicate keys,
// wrong types and missing fields are errors. Every error names the line
// and column: of a JSON syntax error, else of the path or method key at
// fault.
func (b *ruleBuilder) addJSON(data []byte, src string) error {
	r := &docReader{dec: json.NewDecoder(bytes.NewReader(data)), data: data, src: src}
	r.dec.UseNumber()
	if err := r.delim('{'); err != nil {
		return err
	}
	seenPath := map[string]string{}
	for r.dec.More() {
		path, err := r.key()
		if err != nil {
			return err
		}
		pathPos := r.keyPos()
		pathAt := src + ", " + pathPos
		if first, dup := seenPath[path]; dup {
			return ruleErr(pathAt, path, "", "", "path defined twice in this document, first at "+first)
		}
		seenPath[path] = pathPos
		if !strings.HasPrefix(path, "/") {
			return ruleErr(pathAt, path, "", "", "paths must start with /")
		}
		if err := r.delim('{'); err != nil {
			return err
		}
		seenMethod := map[string]string{}
		for r.dec.More() {
			method, err := r.key()
			if err != nil {
				return err
			}
			methodPos := r.keyPos()
			at := src + ", " + methodPos
			if methodIndex(method) < 0 {
				return ruleErr(at, path, method, "", "unknown method (want GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ALL)")
			}
			if first, dup := seenMethod[method]; dup {
				return ruleErr(at, path, method, "", "method defined twice, first at "+first)
			}
			seenMethod[method] = methodPos
			if err := r.delim('{'); err != nil {
				return err
			}
			found := 0
			seenField := map[string]bool{}
			for r.dec.More() {
				field, err := r.key()
				if err != nil {
					return err
				}
				if field != "authorization" && field != "backofficeAuthorization" {
					return ruleErr(at, path, method, field, "unknown field (want authorization or backofficeAuthorization)")
				}
				if seenField[field] {
					return ruleErr(at, path, method, field, "defined twice")
				}
				seenField[field] = true
				expression, public, ferr := readAuthorization(r)
				if ferr != nil {
					if ferr.syntax != nil {
						return ferr.syntax
					}
					return ruleErr(at, path, method, field+ferr.field, ferr.msg)
				}
				if err := b.add(at, path, method, field, expression, public); err != nil {
					return err
				}
				found++
			}
			if err := r.delim('}'); err != nil {
				return err
			}
			if found == 0 {
				return ruleErr(at, path, method, "", "needs authorization or backofficeAuthorization")
			}
		}
		if err := r.delim('}'); err != nil {
			return err
		}
	}
	if err := r.delim('}'); err != nil {
		return err
	}
	if _, err := r.dec.Token(); err != io.EOF {
		return errors.New(src + ", " + position(data, r.dec.InputOffset()) + ": unexpected data after the rules object")
	}
	return nil
}

// docReader reads the tokens of one rules document; its errors name the
// source and the line and column.
type docReader struct {
	dec  *json.Decoder
	data []byte
	src  string
}

// fail is an error at the decoder's position, or at the offending byte of
// a syntax error.
func (r *docReader) fail(err error, msg string) error {
	off := r.dec.InputOffset()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New(r.src + ", " + position(r.data, off) + ": invalid JSON: unexpected end of the document")
	}
	if se, ok := err.(*json.SyntaxError); ok && se.Offset >= off {
		// (inside a literal the offset counts from the literal: keep the
		// decoder's position, the literal's start)
		off = se.Offset
	}
	return errors.New(r.src + ", " + position(r.data, off) + ": " + msg)
}

func (r *docReader) delim(want byte) error {
	tok, err := r.dec.Token()
	if err != nil {
		return r.fail(err, "invalid JSON: "+err.Error())
	}
	d, ok := tok.(json.Delim)
	if !ok || byte(d) != want {
		if want == '{' {
			return r.fail(nil, "expected a JSON object")
		}
		return r.fail(nil, "invalid JSON: expected "+string(want))
	}
	return nil
}

func (r *docReader) key() (string, error) {
	tok, err := r.dec.Token()
	if err != nil {
		return "", r.fail(err, "invalid JSON: "+err.Error())
	}
	s, ok := tok.(string)
	if !ok {
		return "", r.fail(nil, "invalid JSON: expected an object key")
	}
	return s, nil
}

// keyPos is the position of the object key just read.
func (r *docReader) keyPos() string {
	return position(r.data, keyStart(r.data, r.dec.InputOffset()))
}

// position names the line and column (both from 1, the column counted in
// bytes) of offset off in data.
func position(data []byte, off int64) string {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for i := int64(0); i < off; i++ {
		if data[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col)
}

// keyStart returns the offset of the opening quote of the JSON string that
// ends just before off (the decoder's offset after reading a key).
func keyStart(data []byte, off int64) int64 {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	i := off - 1
	for i >= 0 && data[i] != '"' {
		i--
	}
	for i--; i >= 0; i-- {
		if data[i] != '"' {
			continue
		}
		// a quote after an odd number of backslashes is escaped
		n := 0
		for j := i - 1; j >= 0 && data[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return i
		}
	}
	return off
}

type fieldError struct {
	field  string
	msg    string
	syntax error // a positioned JSON error, returned as is
}

// readAuthorization reads `{"expression": "...", "public": bool}`.
func readAuthorization(r *docReader) (string, bool, *fieldError) {
	if err := r.delim('{'); err != nil {
		return "", false, &fieldError{syntax: err}
	}
	var expression string
	var public, haveExpr, havePublic bool
	for r.dec.More() {
		key, err := r.key()
		if err != nil {
			return "", false, &fieldError{syntax: err}
		}
		tok, err := r.dec.Token()
		if err != nil {
			return "", false, &fieldError{syntax: r.fail(err, "invalid JSON: "+err.Error())}
		}
		switch key {
		case "expression":
			if haveExpr {
				return "", false, &fieldError{field: ".expression", msg: "defined twice"}
			}
			s, ok := tok.(string)
			if !ok {
				return "", false, &fieldError{field: ".expression", msg: "must be a string"}
			}
			expression, haveExpr = s, true
		case "public":
			if havePublic {
				return "", false, &fieldError{field: ".public", msg: "defined twice"}
			}
			v, ok := tok.(bool)
			if !ok {
				return "", false, &fieldError{field: ".public", msg: "must be true or false"}
			}
			public, havePublic = v, true
		default:
			return "", false, &fieldError{field: "." + key, msg: "unknown field (want expression and public)"}
		}
	}
	if err := r.delim('}'); err != nil {
		return "", false, &fieldError{syntax: err}
	}
	if !haveExpr {
		return "", false, &fieldError{field: ".expression", msg: "missing"}
	}
	if !havePublic {
		return "", false, &fieldError{field: ".public", msg: "missing"}
	}
	return expression, public, nil
}

// build sorts the routes by specificity and resolves each route's lookup
// table.
func (b *ruleBuilder) build() *Set {
	routes := make([]*route, len(b.order))
	copy(routes, b.order)
	// insertion sort: stable, no reflection, config time only
	for i := 1; i < len(routes); i++ {
		for j := i; j > 0 && moreSpecific(routes[j], routes[j-1]); j-- {
			routes[j], routes[j-1] = routes[j-1], routes[j]
		}
	}
	s := &Set{routes: routes}
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
					s.exact[k] = map[string]*Authorization{}
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

// Lookup returns the authorization that decides a request with the
// canonical path, method and backoffice flag, or nil when no rule covers
// it. The most specific key wins: segment by segment a literal beats a
// parameter, then a longer key beats a shorter one, then an exact key
// beats a prefix key. At that key the request method's block applies,
// else ALL, else for HEAD the GET block; a backoffice request takes
// backofficeAuthorization when the block has one, a frontend request only
// authorization; a key without an applicable block passes the request on
// to the next less specific key. Lookup is a plain function, not a method,
// because it runs on every request and a method call costs more under
// yaegi.
func Lookup(s *Set, path, method string, backoffice bool) *Authorization {
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

func hasString(list []string, s string) bool {
	for i := 0; i < len(list); i++ {
		if list[i] == s {
			return true
		}
	}
	return false
}

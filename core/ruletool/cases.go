package ruletool

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
)

// CasesFile is the format of a `test` cases file: a JSON object with a
// list of cases.
//
//	{"cases": [
//	  {"name": "a reader reads a user", "method": "GET", "path": "/api/users/7",
//	   "user": {"sub": "u1", "groups": ["user"], "permissions": ["users:read"]},
//	   "status": 200, "reason": "allowed", "route": "GET /api/users/:id"}
//	]}
type CasesFile struct {
	Cases []Case `json:"cases"`
}

// Case is one request and its expected outcome.
type Case struct {
	// Name names the case in the report (default: its number).
	Name string `json:"name"`
	// Method and Path are the request's, the path as a client sends it.
	Method string `json:"method"`
	Path   string `json:"path"`
	// User is the caller's identity document (like a userinfo answer: the
	// id under "sub" or --user-id-key, "groups", the permissions under
	// "permissions" or --permissions-key); absent for the anonymous caller.
	User map[string]any `json:"user"`
	// Headers are further request headers.
	Headers map[string]string `json:"headers"`
	// Backoffice decides it as the backoffice entry point does; ClientType
	// is its client type.
	Backoffice bool   `json:"backoffice"`
	ClientType string `json:"clientType"`
	// Strict selects the column of the decision table (default true).
	Strict *bool `json:"strict"`
	// Status is the expected status (required); Reason and Route, when
	// set, the expected reason and matched rule ("" for none is written
	// as "-").
	Status int    `json:"status"`
	Reason string `json:"reason"`
	Route  string `json:"route"`
}

// RunCases decides every case of casesFile with the rules of rulesFile and
// opts, and returns one line per difference from the expected outcome.
func RunCases(rulesFile, casesFile string, opts Options) ([]string, int, error) {
	data, err := os.ReadFile(casesFile)
	if err != nil {
		return nil, 0, err
	}
	var cf CasesFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil {
		return nil, 0, errors.New(casesFile + ": " + err.Error())
	}
	var diffs []string
	cache := map[bool]*deciders{}
	defer func() {
		for _, d := range cache {
			d.close()
		}
	}()
	for i := 0; i < len(cf.Cases); i++ {
		c := cf.Cases[i]
		name := c.Name
		if name == "" {
			name = "case " + strconv.Itoa(i+1)
		}
		where := casesFile + ": " + strconv.Quote(name) + ": " + c.Method + " " + c.Path + ": "
		if c.Status == 0 {
			return nil, 0, errors.New(where + "status: missing")
		}
		o := opts
		o.Backoffice = o.Backoffice || c.Backoffice
		if c.ClientType != "" {
			o.ClientType = c.ClientType
		}
		ds := cache[o.Backoffice]
		if ds == nil {
			if ds, err = newDeciders(rulesFile, o); err != nil {
				return nil, 0, err
			}
			cache[o.Backoffice] = ds
		}
		a := ds.strict
		if c.Strict != nil && !*c.Strict {
			a = ds.lax
		}
		req := &Request{Method: c.Method, Path: c.Path, User: c.User, Header: http.Header{}}
		for k, v := range c.Headers {
			req.Header.Set(k, v)
		}
		o.PermissionsKey, o.UserIDKey = ds.opts.PermissionsKey, ds.opts.UserIDKey
		d, err := decide(a, &o, req)
		if err != nil {
			return nil, 0, errors.New(where + err.Error())
		}
		if d.Status != c.Status {
			diffs = append(diffs, where+"status "+strconv.Itoa(d.Status)+", want "+strconv.Itoa(c.Status)+
				" (reason "+d.Reason+", rule "+strconv.Quote(d.Route)+")")
		}
		if c.Reason != "" && d.Reason != c.Reason {
			diffs = append(diffs, where+"reason "+d.Reason+", want "+c.Reason)
		}
		route := d.Route
		if route == "" {
			route = "-"
		}
		if c.Route != "" && route != c.Route {
			diffs = append(diffs, where+"rule "+strconv.Quote(route)+", want "+strconv.Quote(c.Route))
		}
	}
	n := len(cf.Cases) // (yaegi: a call in a multi-value return panics)
	return diffs, n, nil
}

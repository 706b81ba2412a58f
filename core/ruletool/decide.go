package ruletool

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/aclgate/aclgate/core"
)

// Options are what the gateway's configuration says about a request
// besides the rules: the flags --permissions-key, --user-id-key,
// --backoffice and --client-type.
type Options struct {
	// PermissionsKey is the user field that holds the permissions
	// (default "permissions").
	PermissionsKey string
	// UserIDKey is the user field that holds the user id (default "sub").
	UserIDKey string
	// Backoffice decides the request as the backoffice entry point does.
	Backoffice bool
	// ClientType is the request's client type (what an API key resolves
	// to, or the client-type header behind Mia's edge).
	ClientType string
}

// Request is one request to decide: a method, a path as the client sends
// it, the caller (a user document, like a userinfo answer) and headers.
type Request struct {
	Method string
	Path   string
	// User is the caller's identity document; nil for the anonymous caller.
	User map[string]any
	// Header holds further request headers, such as the trusted identity
	// headers (miauserid, miausergroups, miauserproperties).
	Header http.Header
}

// deciders are the two Authorizers of one rules file and Options: strict
// and non-strict, the two columns of the decision table.
type deciders struct {
	strict, lax *core.Authorizer
	opts        Options
}

func newDeciders(rulesFile string, opts Options) (*deciders, error) {
	if opts.PermissionsKey == "" {
		opts.PermissionsKey = "permissions"
	}
	if opts.UserIDKey == "" {
		opts.UserIDKey = "sub"
	}
	d := &deciders{opts: opts}
	for i := 0; i < 2; i++ {
		cfg := core.DefaultConfig()
		cfg.Strict = i == 0
		cfg.RulesFile = rulesFile
		cfg.TrustUserHeaders = true
		cfg.PermissionsKey = opts.PermissionsKey
		cfg.ClientType = core.ClientTypeFromHeader
		cfg.Backoffice = core.BackofficeFalse
		if opts.Backoffice {
			cfg.Backoffice = core.BackofficeTrue
		}
		a, err := core.New(cfg)
		if err != nil {
			d.close()
			return nil, err
		}
		if i == 0 {
			d.strict = a
		} else {
			d.lax = a
		}
	}
	return d, nil
}

func (d *deciders) close() {
	if d.strict != nil {
		d.strict.Close()
	}
	if d.lax != nil {
		d.lax.Close()
	}
}

// decide decides req with a (strict or not).
func decide(a *core.Authorizer, opts *Options, req *Request) (core.Decision, error) {
	r, err := httpRequest(opts, req)
	if err != nil {
		return core.Decision{}, err
	}
	return a.Authorize(r), nil
}

// httpRequest builds the request the gateway would see: the user as
// trusted identity headers, the client type as the client-type header.
func httpRequest(opts *Options, req *Request) (*http.Request, error) {
	if req.Method == "" {
		return nil, errors.New("method: missing")
	}
	if req.Path == "" || req.Path[0] != '/' {
		return nil, errors.New("path: " + strings.TrimSpace(req.Path) + " does not start with /")
	}
	u, err := url.ParseRequestURI(req.Path)
	if err != nil {
		// not even a request target: let the Authorizer refuse the path
		u = &url.URL{Path: req.Path, RawPath: req.Path}
	}
	h := http.Header{}
	for k, v := range req.Header {
		for i := 0; i < len(v); i++ {
			h.Add(k, v[i])
		}
	}
	if opts.ClientType != "" {
		h.Set(core.DefaultClientTypeHeader, opts.ClientType)
	}
	if req.User != nil {
		id, ok := scalar(req.User[opts.UserIDKey])
		if !ok || id == "" {
			return nil, errors.New("user: no " + opts.UserIDKey + " (the user id; --user-id-key names the field)")
		}
		h.Set(core.DefaultUseridHeader, id)
		groups := strings.Join(stringList(req.User["groups"]), ",")
		if groups != "" {
			h.Set(core.DefaultGroupsHeader, groups)
		}
		props, err := json.Marshal(req.User)
		if err != nil {
			return nil, errors.New("user: " + err.Error())
		}
		h.Set(core.DefaultUserPropertiesHeader, string(props))
	}
	return &http.Request{Method: req.Method, URL: u, Header: h, RequestURI: req.Path, Host: "aclgate.test"}, nil
}

// parseUser reads a --user document: a JSON object.
func parseUser(s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errors.New("--user: not a JSON object")
	}
	return m, nil
}

func scalar(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	if n, ok := v.(json.Number); ok {
		return n.String(), true
	}
	if f, ok := v.(float64); ok {
		b, _ := json.Marshal(f)
		return string(b), true
	}
	return "", false
}

func stringList(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for i := 0; i < len(l); i++ {
			if s, ok := l[i].(string); ok {
				out = append(out, s)
			}
		}
	}
	if l, ok := v.([]string); ok {
		out = append(out, l...)
	}
	return out
}

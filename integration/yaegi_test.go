package integration

// The Traefik plugin loaded exactly as Traefik v3.6 loads a local yaegi
// plugin (pkg/plugins: ReadManifest, checkLocalPluginManifest,
// newInterpreter, newYaegiMiddlewareBuilder, createConfig, newHandler),
// with configurations shaped as Traefik's providers really deliver them:
// the file provider and labels through paerser, CRDs through JSON.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitchellh/mapstructure"
	"github.com/traefik/paerser/file"
	"github.com/traefik/paerser/parser"
	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
	"gopkg.in/yaml.v3"
)

// yaegiModuleName is the plugin's moduleName in experimental.localPlugins.
const yaegiModuleName = "github.com/aclgate/aclgate"

// yaegiManifest is Traefik's plugins.Manifest (pkg/plugins/types.go).
type yaegiManifest struct {
	DisplayName   string         `yaml:"displayName"`
	Type          string         `yaml:"type"`
	Runtime       string         `yaml:"runtime"`
	WasmPath      string         `yaml:"wasmPath"`
	Import        string         `yaml:"import"`
	BasePkg       string         `yaml:"basePkg"`
	Compatibility string         `yaml:"compatibility"`
	Summary       string         `yaml:"summary"`
	UseUnsafe     bool           `yaml:"useUnsafe"`
	TestData      map[string]any `yaml:"testData"`
}

// yaegiReadManifest reads .traefik.yml as Traefik's ReadManifest does and
// applies checkLocalPluginManifest.
func yaegiReadManifest(goPath string) (*yaegiManifest, error) {
	p := filepath.Join(goPath, "src", filepath.FromSlash(yaegiModuleName), ".traefik.yml")
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := &yaegiManifest{}
	if err := yaml.NewDecoder(f).Decode(m); err != nil {
		return nil, err
	}
	var errs []error
	if m.Type != "middleware" {
		errs = append(errs, fmt.Errorf("unsupported type %q", m.Type))
	}
	if m.Runtime != "yaegi" && m.Runtime != "" {
		errs = append(errs, fmt.Errorf("runtime %q is not yaegi", m.Runtime))
	}
	if m.Import == "" {
		errs = append(errs, errors.New("missing import"))
	}
	if !strings.HasPrefix(m.Import, yaegiModuleName) {
		errs = append(errs, fmt.Errorf("the import %q must be related to the module name %q", m.Import, yaegiModuleName))
	}
	if m.DisplayName == "" {
		errs = append(errs, errors.New("missing DisplayName"))
	}
	if m.Summary == "" {
		errs = append(errs, errors.New("missing Summary"))
	}
	if m.TestData == nil {
		errs = append(errs, errors.New("missing TestData"))
	}
	return m, errors.Join(errs...)
}

// yaegiPlugin is one interpreter with the plugin imported, like Traefik's
// per-alias interpreter: every middleware built from it shares the
// interpreted package (and its globals).
type yaegiPlugin struct {
	manifest       *yaegiManifest
	fnNew          reflect.Value
	fnCreateConfig reflect.Value
	loadTime       time.Duration
}

var (
	yaegiOnce   sync.Once
	yaegiShared *yaegiPlugin
	yaegiErr    error
)

// yaegiLoad returns the shared interpreted plugin, loading it on first use.
func yaegiLoad(t testing.TB) *yaegiPlugin {
	t.Helper()
	yaegiOnce.Do(func() {
		root, err := traefikRoot()
		if err != nil {
			yaegiErr = err
			return
		}
		yaegiShared, yaegiErr = yaegiNewPlugin(root)
	})
	if yaegiErr != nil {
		t.Fatal(yaegiErr)
	}
	return yaegiShared
}

// yaegiNewPlugin builds a GOPATH with the repository at
// src/github.com/aclgate/aclgate (Traefik's ./plugins-local/), reads the
// manifest and imports the plugin. The GOPATH is removed once the sources
// are loaded: yaegi reads them all at import time.
func yaegiNewPlugin(root string) (*yaegiPlugin, error) {
	start := time.Now()
	goPath, err := os.MkdirTemp("", "aclgate-yaegi-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(goPath)
	dst := filepath.Join(goPath, "src", filepath.FromSlash(yaegiModuleName))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink(root, dst); err != nil {
		return nil, err
	}
	m, err := yaegiReadManifest(goPath)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}

	// newInterpreter (pkg/plugins/middlewareyaegi.go); Traefik also loads
	// its provider-plugin symbols (ppSymbols), which a middleware never uses.
	i := interp.New(interp.Options{GoPath: goPath, Env: os.Environ(), Stdout: io.Discard, Stderr: os.Stderr})
	if err := i.Use(stdlib.Symbols); err != nil {
		return nil, fmt.Errorf("failed to load symbols: %w", err)
	}
	if m.UseUnsafe {
		return nil, errors.New("the manifest asks for useUnsafe")
	}
	if _, err := i.Eval(fmt.Sprintf(`import "%s"`, m.Import)); err != nil {
		return nil, fmt.Errorf("failed to import plugin code %q: %w", m.Import, err)
	}

	// newYaegiMiddlewareBuilder
	basePkg := m.BasePkg
	if basePkg == "" {
		basePkg = strings.ReplaceAll(path.Base(m.Import), "-", "_")
	}
	fnNew, err := i.Eval(basePkg + `.New`)
	if err != nil {
		return nil, fmt.Errorf("failed to eval New: %w", err)
	}
	fnCreateConfig, err := i.Eval(basePkg + `.CreateConfig`)
	if err != nil {
		return nil, fmt.Errorf("failed to eval CreateConfig: %w", err)
	}
	if err := yaegiCheckSignatures(fnNew, fnCreateConfig); err != nil {
		return nil, err
	}
	return &yaegiPlugin{manifest: m, fnNew: fnNew, fnCreateConfig: fnCreateConfig, loadTime: time.Since(start)}, nil
}

// yaegiCheckSignatures is the check of the plugin catalog's analyzer
// (piceus checkFunctionNewSignature): CreateConfig() *T and
// New(context.Context, http.Handler, *T, string) (http.Handler, error).
func yaegiCheckSignatures(fnNew, fnCreateConfig reflect.Value) error {
	if fnCreateConfig.Kind() != reflect.Func {
		return errors.New("CreateConfig is not a function")
	}
	cc := fnCreateConfig.Type()
	if cc.NumIn() != 0 || cc.NumOut() != 1 || cc.Out(0).Kind() != reflect.Pointer {
		return fmt.Errorf("CreateConfig must be func() *Config, got %v", cc)
	}
	if fnNew.Kind() != reflect.Func {
		return errors.New("New is not a function")
	}
	nt := fnNew.Type()
	if nt.NumIn() != 4 {
		return fmt.Errorf("New must have 4 parameters, got %d", nt.NumIn())
	}
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	handlerType := reflect.TypeOf((*http.Handler)(nil)).Elem()
	errorType := reflect.TypeOf((*error)(nil)).Elem()
	if nt.In(0) != ctxType {
		return fmt.Errorf("New: parameter 1 must be context.Context, got %v", nt.In(0))
	}
	if nt.In(1) != handlerType {
		return fmt.Errorf("New: parameter 2 must be http.Handler, got %v", nt.In(1))
	}
	if nt.In(2) != cc.Out(0) {
		return fmt.Errorf("New: parameter 3 must be the type CreateConfig returns (%v), got %v", cc.Out(0), nt.In(2))
	}
	if nt.In(3).Kind() != reflect.String {
		return fmt.Errorf("New: parameter 4 must be string, got %v", nt.In(3))
	}
	if nt.NumOut() != 2 || nt.Out(0) != handlerType || nt.Out(1) != errorType {
		return fmt.Errorf("New must return (http.Handler, error), got %v", nt)
	}
	return nil
}

// createConfig is Traefik's yaegiMiddlewareBuilder.createConfig.
func (p *yaegiPlugin) createConfig(config map[string]any) (reflect.Value, error) {
	results := p.fnCreateConfig.Call(nil)
	if len(results) != 1 {
		return reflect.Value{}, fmt.Errorf("invalid number of return for the CreateConfig function: %d", len(results))
	}
	vConfig := results[0]
	if len(config) == 0 {
		return vConfig, nil
	}
	cfg := &mapstructure.DecoderConfig{
		DecodeHook:       mapstructure.StringToSliceHookFunc(","),
		WeaklyTypedInput: true,
		Result:           vConfig.Interface(),
	}
	decoder, err := mapstructure.NewDecoder(cfg)
	if err != nil {
		return reflect.Value{}, fmt.Errorf("failed to create configuration decoder: %w", err)
	}
	if err := decoder.Decode(config); err != nil {
		return reflect.Value{}, fmt.Errorf("failed to decode configuration: %w", err)
	}
	return vConfig, nil
}

// newHandler is Traefik's yaegiMiddlewareBuilder.newHandler.
func (p *yaegiPlugin) newHandler(ctx context.Context, next http.Handler, cfg reflect.Value, name string) (http.Handler, error) {
	args := []reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(next), cfg, reflect.ValueOf(name)}
	results := p.fnNew.Call(args)
	if len(results) > 1 && results[1].Interface() != nil {
		err, ok := results[1].Interface().(error)
		if !ok {
			return nil, fmt.Errorf("invalid error type: %T", results[0].Interface())
		}
		return nil, err
	}
	handler, ok := results[0].Interface().(http.Handler)
	if !ok {
		return nil, fmt.Errorf("invalid handler type: %T", results[0].Interface())
	}
	return handler, nil
}

// build is one middleware Build: CreateConfig, decode, New.
func (p *yaegiPlugin) build(ctx context.Context, conf map[string]any, next http.Handler, name string) (http.Handler, reflect.Value, error) {
	cfg, err := p.createConfig(conf)
	if err != nil {
		return nil, reflect.Value{}, err
	}
	h, err := p.newHandler(ctx, next, cfg, name)
	return h, cfg, err
}

// yaegiField reads a field of the interpreted *Config (or a nested value)
// by Go field name, e.g. "JWT.Leeway".
func yaegiField(cfg reflect.Value, name string) reflect.Value {
	v := cfg
	for _, part := range strings.Split(name, ".") {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			v = v.Elem()
		}
		if idx := strings.IndexByte(part, '['); idx >= 0 {
			var n int
			fmt.Sscanf(part[idx:], "[%d]", &n)
			v = v.FieldByName(part[:idx]).Index(n)
			continue
		}
		v = v.FieldByName(part)
	}
	return v
}

// yaegiDynamic is the part of Traefik's dynamic configuration that carries
// plugin middlewares (dynamic.Configuration → HTTP → Middlewares → Plugin).
// Routers, services and other middleware types are kept opaque (paerser
// refuses unknown keys).
type yaegiDynamic struct {
	HTTP struct {
		Routers     map[string]map[string]any `json:"routers,omitempty" toml:"routers,omitempty" yaml:"routers,omitempty"`
		Services    map[string]map[string]any `json:"services,omitempty" toml:"services,omitempty" yaml:"services,omitempty"`
		Middlewares map[string]struct {
			Plugin      map[string]map[string]any `json:"plugin,omitempty" toml:"plugin,omitempty" yaml:"plugin,omitempty"`
			ForwardAuth map[string]any            `json:"forwardAuth,omitempty" toml:"forwardAuth,omitempty" yaml:"forwardAuth,omitempty"`
			Headers     map[string]any            `json:"headers,omitempty" toml:"headers,omitempty" yaml:"headers,omitempty"`
		} `json:"middlewares,omitempty" toml:"middlewares,omitempty" yaml:"middlewares,omitempty"`
	} `json:"http,omitempty" toml:"http,omitempty" yaml:"http,omitempty"`
}

// yaegiFromFile decodes a dynamic configuration file as the file provider
// does (paerser file.DecodeContent) and returns the plugin's map of
// middleware mw under alias aclgate.
func yaegiFromFile(t *testing.T, content, ext, mw string) map[string]any {
	t.Helper()
	var d yaegiDynamic
	if err := file.DecodeContent(content, ext, &d); err != nil {
		t.Fatalf("paerser: %v", err)
	}
	return yaegiPluginConf(t, d, mw)
}

// yaegiFromLabels decodes Docker/Consul-style labels as Traefik's
// label.DecodeConfiguration does (paerser parser.Decode).
func yaegiFromLabels(t *testing.T, labels map[string]string, mw string) map[string]any {
	t.Helper()
	var d yaegiDynamic
	if err := parser.Decode(labels, &d, parser.DefaultRootName, "traefik.http"); err != nil {
		t.Fatalf("labels: %v", err)
	}
	return yaegiPluginConf(t, d, mw)
}

// yaegiFromCRD decodes the spec.plugin of a Middleware CRD as Traefik's
// Kubernetes provider does (createPluginMiddleware: JSON round trip, so
// numbers are float64 and booleans bool).
func yaegiFromCRD(t *testing.T, specPluginJSON string) map[string]any {
	t.Helper()
	pc := map[string]map[string]any{}
	if err := json.Unmarshal([]byte(specPluginJSON), &pc); err != nil {
		t.Fatalf("crd: %v", err)
	}
	conf, ok := pc["aclgate"]
	if !ok || len(pc) != 1 {
		t.Fatalf("crd: want exactly the aclgate plugin, got %v", pc)
	}
	return conf
}

func yaegiPluginConf(t *testing.T, d yaegiDynamic, mw string) map[string]any {
	t.Helper()
	m, ok := d.HTTP.Middlewares[mw]
	if !ok {
		t.Fatalf("no middleware %q in %+v", mw, d.HTTP.Middlewares)
	}
	conf, ok := m.Plugin["aclgate"]
	if !ok || len(m.Plugin) != 1 {
		t.Fatalf("middleware %q: want exactly the aclgate plugin, got %v", mw, m.Plugin)
	}
	return conf
}

// yaegiStatus serves one request through h and returns the status.
func yaegiStatus(h http.Handler, method, target string, header map[string]string) int {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header[k] = []string{v}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Code
}

func traefikNoContent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
}

func TestYaegiManifestTestData(t *testing.T) {
	p := yaegiLoad(t)
	t.Logf("interpreter + stdlib + import of %s: %v", p.manifest.Import, p.loadTime)
	if p.manifest.Import != yaegiModuleName+"/traefikauthz" {
		t.Errorf("import = %q", p.manifest.Import)
	}
	// the catalog's example is userinfo mode, never trust mode
	if v, ok := p.manifest.TestData["trustUserHeaders"]; ok {
		t.Errorf("testData sets trustUserHeaders: %v", v)
	}
	// its identity service, on loopback (tests resolve no names)
	id := newUserinfoServer(t)
	conf := map[string]any{}
	for k, v := range p.manifest.TestData {
		conf[k] = v
	}
	conf["userinfoUrl"] = id.URL + "/userinfo"
	h, cfg, err := p.build(context.Background(), conf, traefikNoContent(), "aclgate@file")
	if err != nil {
		t.Fatalf("testData: %v", err)
	}
	if !yaegiField(cfg, "Strict").Bool() || yaegiField(cfg, "UserinfoURL").String() == "" {
		t.Error("testData not decoded")
	}
	if got := yaegiStatus(h, "GET", "/", nil); got != http.StatusNoContent {
		t.Errorf("GET / = %d", got)
	}
	if id.calls.Load() != 0 {
		t.Error("an anonymous request called userinfo")
	}
	if got := yaegiStatus(h, "GET", "/admin/x", nil); got != http.StatusUnauthorized {
		t.Errorf("GET /admin/x anonymous = %d", got)
	}
	if got := yaegiStatus(h, "GET", "/admin/x", map[string]string{"Authorization": "Bearer admin"}); got != http.StatusNoContent {
		t.Errorf("GET /admin/x as admin = %d", got)
	}
	if got := yaegiStatus(h, "GET", "/admin/x", map[string]string{"Authorization": "Bearer reader"}); got != http.StatusForbidden {
		t.Errorf("GET /admin/x as reader = %d", got)
	}
	// an empty configuration keeps CreateConfig's defaults untouched
	if _, cfg, err := p.build(context.Background(), nil, traefikNoContent(), "empty@file"); err != nil || !yaegiField(cfg, "Strict").Bool() {
		t.Errorf("empty config: %v", err)
	}
}

const yaegiFileYAML = `
http:
  middlewares:
    authz:
      plugin:
        aclgate:
          mode: inline
          strict: false
          userinfoUrl: http://127.0.0.1:9/userinfo
          backofficeUserinfoUrl: http://127.0.0.1:9/bo-userinfo
          headersToProxy:
            - authorization
            - cookie
            - x-api-key
          authorizationHeadersToProxy: [authorization, cookie]
          userIdKey: user_id
          permissionsKey: permissions
          userPropertiesToProxy: [email, name]
          userinfoTimeout: 2s
          cacheTtl: 30s
          cacheSize: 500
          useridHeader: x-user-id
          groupsHeader: x-user-groups
          userPropertiesHeader: x-user-properties
          clientTypeHeader: x-client-type
          backofficeHeader: x-backoffice
          rulesFile: ./testdata/auth.json
          rules:
            - method: GET
              path: /extra
              expression: groups.admin
              public: false
            - method: ALL
              path: /extra/
              expression: "true"
              public: true
              backoffice: true
`

func TestYaegiFileProvider(t *testing.T) {
	p := yaegiLoad(t)
	conf := yaegiFromFile(t, yaegiFileYAML, ".yaml", "authz")
	// what paerser really hands over
	if _, ok := conf["strict"].(string); !ok {
		t.Fatalf("file provider: strict is %T, expected the all-strings shape", conf["strict"])
	}
	if _, ok := conf["rules"].([]any); !ok {
		t.Fatalf("file provider: rules is %T", conf["rules"])
	}
	h, cfg, err := p.build(context.Background(), conf, traefikNoContent(), "authz@file")
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]any{
		"Mode": "inline", "Strict": false, "UserinfoURL": "http://127.0.0.1:9/userinfo",
		"HeadersToProxy": "authorization,cookie,x-api-key", "AuthorizationHeadersToProxy": "authorization,cookie",
		"UserIDKey": "user_id", "UserPropertiesToProxy": "email,name", "UserinfoTimeout": "2s", "CacheTTL": "30s",
		"CacheSize": int64(500), "UseridHeader": "x-user-id", "BackofficeHeader": "x-backoffice",
		"Rules[1].Method": "ALL", "Rules[1].Public": true, "Rules[1].Backoffice": true, "Rules[0].Public": false,
	}
	yaegiCheckFields(t, cfg, checks)
	// non-strict, no credentials: anonymous, route allowed by the file
	if got := yaegiStatus(h, "GET", "/", nil); got != http.StatusNoContent {
		t.Errorf("GET / = %d", got)
	}

	// TOML, the file provider's other format
	toml := `
[http.middlewares.authz.plugin.aclgate]
  strict = "false"
  trustUserHeaders = true
  cacheSize = 7
  userPropertiesToProxy = ["email"]
  [[http.middlewares.authz.plugin.aclgate.rules]]
    method = "GET"
    path = "/"
    expression = "true"
    public = true
`
	conf = yaegiFromFile(t, toml, ".toml", "authz")
	h, cfg, err = p.build(context.Background(), conf, traefikNoContent(), "authz@file")
	if err != nil {
		t.Fatal(err)
	}
	yaegiCheckFields(t, cfg, map[string]any{"Strict": false, "TrustUserHeaders": true, "CacheSize": int64(7), "Rules[0].Public": true})
	if got := yaegiStatus(h, "GET", "/", nil); got != http.StatusNoContent {
		t.Errorf("toml GET / = %d", got)
	}
}

func TestYaegiLabels(t *testing.T) {
	p := yaegiLoad(t)
	pre := "traefik.http.middlewares.authz.plugin.aclgate."
	labels := map[string]string{
		pre + "strict":                                "false",
		pre + "trustUserHeaders":                      "true",
		pre + "headersToProxy":                        "authorization,cookie",
		pre + "userPropertiesToProxy":                 "email,name",
		pre + "cacheSize":                             "42",
		pre + "rulesJson":                             `{"/": {"GET": {"authorization": {"expression": "true", "public": true}}}}`,
		pre + "rules[0].method":                       "ALL",
		pre + "rules[0].path":                         "/admin/",
		pre + "rules[0].expression":                   `groups.admin && clientType == "web"`,
		pre + "rules[1].method":                       "GET",
		pre + "rules[1].path":                         "/open",
		pre + "rules[1].expression":                   "true",
		pre + "rules[1].public":                       "true",
		pre + "tokenEndpoint.issuer":                  "https://gw.example",
		pre + "tokenEndpoint.ttl":                     "15m",
		pre + "tokenEndpoint.audience":                "api,admin",
		pre + "tokenEndpoint.clients[0].id":           "svc",
		pre + "tokenEndpoint.clients[0].secretSha256": strings.Repeat("ab", 32),
		pre + "tokenEndpoint.clients[0].scopes":       "read,write",
	}
	conf := yaegiFromLabels(t, labels, "authz")
	h, cfg, err := p.build(context.Background(), conf, traefikNoContent(), "authz@docker")
	if err != nil {
		t.Fatal(err)
	}
	yaegiCheckFields(t, cfg, map[string]any{
		"Strict": false, "HeadersToProxy": "authorization,cookie", "UserPropertiesToProxy": "email,name",
		"CacheSize": int64(42), "Rules[0].Path": "/admin/", "Rules[1].Public": true, "Rules[0].Public": false,
		"TokenEndpoint.TTL": "15m", "TokenEndpoint.Audience": "api,admin", "TokenEndpoint.Clients[0].Scopes": "read,write",
	})
	if got := yaegiStatus(h, "GET", "/open", nil); got != http.StatusNoContent {
		t.Errorf("GET /open = %d", got)
	}
	if got := yaegiStatus(h, "GET", "/admin/x", map[string]string{"Miauserid": "u", "Miausergroups": "admin", "Client-Type": "web"}); got != http.StatusNoContent {
		t.Errorf("GET /admin/x = %d", got)
	}
	// the token endpoint answers before the rules (POST /oauth/token has none)
	if got := yaegiStatus(h, "GET", "/.well-known/jwks.json", nil); got != http.StatusOK {
		t.Errorf("jwks = %d", got)
	}
}

func TestYaegiCRD(t *testing.T) {
	p := yaegiLoad(t)
	// a loopback identity service stands in for a cluster one such as
	// http://userinfo.auth.svc:8080/userinfo: tests resolve no names
	id := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer id.Close()
	// spec.plugin of a traefik.io/v1alpha1 Middleware, as JSON
	spec := `{"aclgate": {
		"strict": true,
		"userinfoUrl": "` + id.URL + `/userinfo",
		"headersToProxy": ["authorization", "cookie"],
		"permissionsKey": "permissions",
		"cacheTtl": "1m",
		"cacheSize": 1000,
		"userinfoTimeout": "5s",
		"rules": [
			{"method": "GET", "path": "/", "expression": "true", "public": true},
			{"method": "ALL", "path": "/api/", "expression": "permissions[\"api:call\"]", "public": false}
		],
		"jwt": null
	}}`
	conf := yaegiFromCRD(t, spec)
	if _, ok := conf["cacheSize"].(float64); !ok {
		t.Fatalf("crd: cacheSize is %T", conf["cacheSize"])
	}
	h, cfg, err := p.build(context.Background(), conf, traefikNoContent(), "default-authz@kubernetescrd")
	if err != nil {
		t.Fatal(err)
	}
	yaegiCheckFields(t, cfg, map[string]any{"Strict": true, "CacheSize": int64(1000), "Rules[0].Public": true, "Rules[1].Method": "ALL"})
	if !yaegiField(cfg, "JWT").IsNil() {
		t.Error("jwt: null allocated a JWT block")
	}
	if got := yaegiStatus(h, "GET", "/", nil); got != http.StatusNoContent {
		t.Errorf("GET / = %d", got)
	}

	// JWT and token endpoint from a CRD: secrets arrive as plain strings
	// (Traefik resolves urn:k8s:secret:… before the plugin sees them).
	spec = `{"aclgate": {
		"jwt": {"hmacSecret": "0123456789abcdef0123456789abcdef", "audience": ["api"], "leeway": "10s", "algorithms": ["HS256"]},
		"rulesJson": "{\"/\": {\"ALL\": {\"authorization\": {\"expression\": \"true\", \"public\": true}}}}"
	}}`
	h, cfg, err = p.build(context.Background(), yaegiFromCRD(t, spec), traefikNoContent(), "default-authz@kubernetescrd")
	if err != nil {
		t.Fatal(err)
	}
	yaegiCheckFields(t, cfg, map[string]any{"JWT[0].Leeway": "10s", "JWT[0].Audience": "api", "JWT[0].Algorithms": "HS256"})
	if got := yaegiStatus(h, "GET", "/", map[string]string{"Authorization": "Bearer not.a.jwt"}); got != http.StatusUnauthorized {
		t.Errorf("bad token on a public route = %d, want 401", got)
	}
}

// yaegiCheckFields compares fields of the decoded Config; list values are
// compared joined with ",".
func yaegiCheckFields(t *testing.T, cfg reflect.Value, want map[string]any) {
	t.Helper()
	for name, w := range want {
		v := yaegiField(cfg, name)
		if !v.IsValid() {
			t.Errorf("%s: no such field", name)
			continue
		}
		var got any
		switch v.Kind() {
		case reflect.Slice:
			parts := make([]string, v.Len())
			for i := range v.Len() {
				parts[i] = v.Index(i).String()
			}
			got = strings.Join(parts, ",")
		case reflect.Int, reflect.Int64:
			got = v.Int()
		case reflect.Bool:
			got = v.Bool()
		default:
			got = v.String()
		}
		if got != w {
			t.Errorf("%s = %#v, want %#v", name, got, w)
		}
	}
}

func TestYaegiNegativeConfigs(t *testing.T) {
	p := yaegiLoad(t)
	cases := []struct {
		name string
		yaml string // plugin body, indented by 10 spaces in the file
		want []string
	}{
		{"strict not a bool", "strict: maybe", []string{"failed to decode configuration", "Strict"}},
		{"cacheSize not an int", "cacheSize: many", []string{"failed to decode configuration", "CacheSize"}},
		{"duration without unit", "userinfoTimeout: 30\nuserinfoUrl: http://127.0.0.1:9/u", []string{"authz@file: userinfoTimeout", `"30"`}},
		{"bad cacheTtl", "cacheTtl: later", []string{"authz@file: cacheTtl"}},
		{"unknown mode", "mode: proxy", []string{"authz@file: mode", `"proxy"`}},
		{"two identity sources", "userinfoUrl: http://127.0.0.1:9/u\ntrustUserHeaders: true", []string{"authz@file:", "only one of userinfoUrl, trustUserHeaders and jwt"}},
		{"rule bad method", "rules:\n  - method: FETCH\n    path: /\n    expression: 'true'", []string{"authz@file: rules[0]:", `"FETCH"`}},
		{"rule bad expression", "rules:\n  - method: GET\n    path: /x\n    expression: groups.admin &&", []string{"authz@file: rules[0]:", `"/x"`, "expression"}},
		{"rule twice", "rulesJson: '{\"/\": {\"GET\": {\"authorization\": {\"expression\": \"true\", \"public\": true}}}}'\nrules:\n  - method: GET\n    path: /\n    expression: 'true'", []string{"authz@file:", "twice"}},
		{"rulesJson missing public", `rulesJson: '{"/": {"GET": {"authorization": {"expression": "true"}}}}'`, []string{"authz@file: rulesJson", "public"}},
		{"rulesFile missing", "rulesFile: /nonexistent/auth.json", []string{"authz@file: rulesFile"}},
		{"bad header name", "useridHeader: 'x user'", []string{"authz@file: useridHeader"}},
		{"jwt without key", "jwt:\n  issuer: https://issuer", []string{"authz@file: jwt", "jwksUrl"}},
		{"jwt bad leeway", "jwt:\n  hmacSecret: 0123456789abcdef0123456789abcdef\n  leeway: 5", []string{"authz@file: jwt.leeway"}},
		{"token without client", "tokenEndpoint:\n  issuer: https://gw", []string{"authz@file: tokenEndpoint", "client"}},
		{"token bad ttl", "tokenEndpoint:\n  ttl: 1 hour\n  clients:\n    - id: a\n      secret: b", []string{"authz@file: tokenEndpoint.ttl"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := "          " + strings.ReplaceAll(tc.yaml, "\n", "\n          ")
			y := "http:\n  middlewares:\n    authz:\n      plugin:\n        aclgate:\n" + body + "\n"
			conf := yaegiFromFile(t, y, ".yaml", "authz")
			_, _, err := p.build(context.Background(), conf, traefikNoContent(), "authz@file")
			if err == nil {
				t.Fatalf("accepted: %v", conf)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestYaegiWriterNotWrapped: the writer the next handler gets is the
// server's own, so websockets (Hijacker) and streaming (Flusher) work.
func TestYaegiWriterNotWrapped(t *testing.T) {
	p := yaegiLoad(t)
	var hijacker, flusher bool
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, hijacker = w.(http.Hijacker)
		_, flusher = w.(http.Flusher)
		w.WriteHeader(http.StatusNoContent)
	})
	h, _, err := p.build(context.Background(), p.manifest.TestData, next, "aclgate@file")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || !hijacker || !flusher {
		t.Errorf("status %d, Hijacker %v, Flusher %v", resp.StatusCode, hijacker, flusher)
	}
}

// TestYaegiReload: one interpreter, successive configurations (Traefik
// re-runs CreateConfig and New on every reload and cancels the previous
// context).
func TestYaegiReload(t *testing.T) {
	p := yaegiLoad(t)
	rules := func(expr string) map[string]any {
		return map[string]any{"trustUserHeaders": "true", "rules": []any{
			map[string]any{"method": "GET", "path": "/", "expression": expr, "public": "true"},
		}}
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	h1, _, err := p.build(ctx1, rules("true"), traefikNoContent(), "authz@file")
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	h2, _, err := p.build(ctx2, rules("false"), traefikNoContent(), "authz@file")
	if err != nil {
		t.Fatal(err)
	}
	cancel1()
	if yaegiStatus(h1, "GET", "/", nil) != http.StatusNoContent || yaegiStatus(h2, "GET", "/", nil) != http.StatusUnauthorized {
		t.Error("configurations interfere")
	}
}

// yaegiGateway is an in-process gateway: the interpreted middleware in
// front of a reverse proxy to upstream.
func yaegiGateway(t *testing.T, p *yaegiPlugin, conf map[string]any, upstream string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	h, _, err := p.build(context.Background(), conf, proxy, "authz@file")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// traefikSharedConf is the configuration every gateway runs sharedCases with.
func traefikSharedConf(t *testing.T, userinfoURL string, strict bool) map[string]any {
	return map[string]any{
		"strict":                fmt.Sprint(strict),
		"userinfoUrl":           userinfoURL,
		"rulesFile":             filepath.Join(repoRoot(t), "integration", "testdata", "auth.json"),
		"permissionsKey":        "permissions",
		"userPropertiesToProxy": "email",
	}
}

func TestYaegiSharedCases(t *testing.T) {
	p := yaegiLoad(t)
	ui := newUserinfoServer(t)
	up := newUpstream(t)
	for _, strict := range []bool{true, false} {
		gw := yaegiGateway(t, p, traefikSharedConf(t, ui.URL, strict), up.URL)
		addr := strings.TrimPrefix(gw.URL, "http://")
		name := "strict"
		if !strict {
			name = "non-strict"
		}
		t.Run(name, func(t *testing.T) {
			for _, c := range sharedCases {
				t.Run(c.name, func(t *testing.T) {
					traefikCheckCase(t, addr, c, strict, nil)
				})
			}
		})
	}
}

// traefikRaw sends one HTTP/1.1 request with the path verbatim on the
// request line and the header names exactly as given (no canonicalization).
func traefikRaw(addr, method, target string, header map[string]string) (*http.Response, []byte, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n")
	for k, v := range header {
		b.WriteString(k + ": " + v + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body, err
}

// TestYaegiExampleConfig: the example of testdata/traefik/ is valid: the
// static file declares the local plugin, and every aclgate middleware of
// the dynamic file, decoded as the file provider does, builds (run from
// that directory, as its comments say).
func TestYaegiExampleConfig(t *testing.T) {
	p := yaegiLoad(t)
	dir := filepath.Join(repoRoot(t), "testdata", "traefik")
	static, err := os.ReadFile(filepath.Join(dir, "traefik.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Experimental struct {
			AbortOnPluginFailure bool `yaml:"abortOnPluginFailure"`
			LocalPlugins         map[string]struct {
				ModuleName string `yaml:"moduleName"`
			} `yaml:"localPlugins"`
		} `yaml:"experimental"`
		Providers struct {
			File struct {
				Filename string `yaml:"filename"`
				Watch    bool   `yaml:"watch"`
			} `yaml:"file"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(static, &st); err != nil {
		t.Fatal(err)
	}
	if !st.Experimental.AbortOnPluginFailure || st.Experimental.LocalPlugins["aclgate"].ModuleName != yaegiModuleName ||
		st.Providers.File.Filename != "dynamic.yml" {
		t.Errorf("static configuration: %+v", st)
	}
	dyn, err := os.ReadFile(filepath.Join(dir, st.Providers.File.Filename))
	if err != nil {
		t.Fatal(err)
	}
	var d yaegiDynamic
	if err := file.DecodeContent(string(dyn), ".yaml", &d); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	for name, mw := range d.HTTP.Middlewares {
		conf, ok := mw.Plugin["aclgate"]
		if !ok {
			continue
		}
		n++
		if _, _, err := p.build(ctx, conf, traefikNoContent(), name+"@file"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n < 3 {
		t.Errorf("only %d aclgate middlewares in the example", n)
	}
}

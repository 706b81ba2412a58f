package integration

// Per-request cost of the plugin: interpreted by yaegi (as Traefik runs
// it) vs compiled, same configuration, same request, httptest recorder.
//
//	cd integration && go test -run '^$' -bench 'Traefik' -benchmem

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aclgate/aclgate/traefikauthz"
	"github.com/mitchellh/mapstructure"
)

func traefikBenchConf() map[string]any {
	return map[string]any{
		"trustUserHeaders":      "true",
		"permissionsKey":        "permissions",
		"userPropertiesToProxy": "email",
		"rulesJson":             `{"/": {"GET": {"authorization": {"expression": "true", "public": true}}}, "/users/": {"ALL": {"authorization": {"expression": "groups.admin || permissions[\"users:read\"]", "public": false}}}}`,
	}
}

var traefikBenchCases = []struct {
	name   string
	path   string
	header map[string]string
	want   int
}{
	{"public", "/", nil, http.StatusNoContent},
	{"trusted-user", "/users/7", map[string]string{"Miauserid": "u1", "Miausergroups": "user,admin", "Miauserproperties": `{"email":"u1@example.com"}`}, http.StatusNoContent},
	{"denied", "/users/7", nil, http.StatusUnauthorized},
}

// traefikBenchWriter is a ResponseWriter that keeps only the status.
type traefikBenchWriter struct {
	h    http.Header
	code int
}

func (w *traefikBenchWriter) Header() http.Header         { return w.h }
func (w *traefikBenchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *traefikBenchWriter) WriteHeader(code int)        { w.code = code }

func traefikBench(b *testing.B, h http.Handler) {
	for _, c := range traefikBenchCases {
		b.Run(c.name, func(b *testing.B) {
			// The request is reused: in trust mode the plugin re-emits the
			// identity headers it read with the same values, so every
			// iteration sees the same request.
			r := httptest.NewRequest("GET", c.path, nil)
			for k, v := range c.header {
				r.Header[k] = []string{v}
			}
			w := &traefikBenchWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
			if w.code != c.want {
				b.Fatalf("status %d, want %d", w.code, c.want)
			}
		})
	}
}

func BenchmarkTraefikYaegi(b *testing.B) {
	p := yaegiLoad(b)
	h, _, err := p.build(context.Background(), traefikBenchConf(), traefikNoContent(), "bench@file")
	if err != nil {
		b.Fatal(err)
	}
	traefikBench(b, h)
}

func BenchmarkTraefikCompiled(b *testing.B) {
	// the same decoding as Traefik's: CreateConfig + mapstructure
	cfg := traefikauthz.CreateConfig()
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook: mapstructure.StringToSliceHookFunc(","), WeaklyTypedInput: true, Result: cfg})
	if err != nil {
		b.Fatal(err)
	}
	if err := dec.Decode(traefikBenchConf()); err != nil {
		b.Fatal(err)
	}
	h, err := traefikauthz.New(context.Background(), traefikNoContent(), cfg, "bench@file")
	if err != nil {
		b.Fatal(err)
	}
	traefikBench(b, h)
}

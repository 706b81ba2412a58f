package traefikauthz

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMetricsPath: the plugin answers metricsPath itself, with the
// counters of its decisions by reason and route, before any decision.
func TestMetricsPath(t *testing.T) {
	c := CreateConfig()
	c.RulesJSON = testRules
	c.MetricsPath = "/.aclgate/metrics"
	next := &seen{}
	h := mustNew(t, c, next)
	serve(h, get("/"))
	serve(h, get("/users/7"))
	serve(h, get("/users/7"))
	next.called = false
	cases := []struct {
		method string
		status int
		body   []string
	}{
		{"GET", 200, []string{
			"# TYPE aclgate_decisions_total counter\n",
			`aclgate_decisions_total{reason="allowed",route="GET /"} 1` + "\n",
			`aclgate_decisions_total{reason="unauthenticated",route="GET /users/:id"} 2` + "\n",
			"# TYPE aclgate_shadow_disagreements_total counter\n",
			"# TYPE aclgate_rules_reloads_total counter\n",
		}},
		{"HEAD", 200, nil},
		{"POST", 405, nil},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		rec := serve(h, httptest.NewRequest(tc.method, "/.aclgate/metrics", nil))
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.method, rec.Code, tc.status)
		}
		for j := 0; j < len(tc.body); j++ {
			if !strings.Contains(rec.Body.String(), tc.body[j]) {
				t.Errorf("%s: body lacks %q:\n%s", tc.method, tc.body[j], rec.Body.String())
			}
		}
	}
	if next.called {
		t.Error("the metrics path reached the next handler")
	}
	if !strings.HasPrefix(serve(h, get("/.aclgate/metrics")).Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Error("not the Prometheus text format")
	}
}

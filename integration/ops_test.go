package integration

// Operations in both real gateways: hot reload of the rules file under a
// load of requests, a broken edit that keeps the old rules, shadow rules
// whose disagreements reach the counters and the log, Traefik's metrics
// path and decision log.

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	opsLive = `{"/a": {"GET": {"authorization": {"expression": "groups.admin", "public": false}}},
 "/b/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	opsEdited = `{"/a": {"GET": {"authorization": {"expression": "groups.admin || groups.dev", "public": false}}},
 "/b/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	opsBroken = `{"/a": {"GET": {"authorization": {"expression": "groups.admin ||", "public": false}}}}`
	opsShadow = `{"/a": {"GET": {"authorization": {"expression": "true", "public": false}}},
 "/b/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	opsInterval = 200 * time.Millisecond
)

// opsFiles writes the live and shadow rules files.
func opsFiles(t *testing.T) (dir, live, shadow string) {
	dir = t.TempDir()
	live = filepath.Join(dir, "auth.json")
	shadow = filepath.Join(dir, "auth.next.json")
	opsWrite(t, live, opsLive)
	opsWrite(t, shadow, opsShadow)
	return dir, live, shadow
}

// opsWrite replaces a rules file as a deployment should: write, then rename.
func opsWrite(t *testing.T, path, doc string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// opsGet sends GET path as a user of the dev group (trusted headers).
func opsGet(c *http.Client, base, path string, dev bool) (int, error) {
	req, _ := http.NewRequest("GET", base+path, nil)
	if dev {
		req.Header.Set("miauserid", "u-dev")
		req.Header.Set("miausergroups", "dev")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func opsBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// opsWait polls cond every 20ms; it returns how long it took, failing
// after within.
func opsWait(t *testing.T, what string, within time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// opsGateway is what the scenario needs of a running gateway.
type opsGateway struct {
	base    string        // the site
	metrics func() string // the counters, Prometheus text
	logs    func() string // the gateway's output
	// what the counters and the log say, in the gateway's own spelling
	shadowMetric, reloadOK, reloadError, shadowLog, reloadLog string
	reloadWhere                                               string // the rule and column of the broken edit, as logged
}

// opsScenario runs the whole story against one gateway.
func opsScenario(t *testing.T, g *opsGateway, live string) {
	client := &http.Client{Timeout: 5 * time.Second}
	status := func() int {
		s, err := opsGet(client, g.base, "/a", true)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// shadow rules: /a is open to every user there; the live rules say 403
	if s := status(); s != 403 {
		t.Fatalf("GET /a as dev: %d, want 403 (the shadow rules never decide)", s)
	}
	opsWait(t, "the disagreement in the counters", 5*time.Second, func() bool { return strings.Contains(g.metrics(), g.shadowMetric) })
	opsWait(t, "the disagreement in the log", 5*time.Second, func() bool { return strings.Contains(g.logs(), g.shadowLog) })

	// a load of requests across the swaps: none may fail
	var stop atomic.Bool
	var sent, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 5 * time.Second}
			for !stop.Load() {
				s1, err1 := opsGet(c, g.base, "/b/x", false)
				s2, err2 := opsGet(c, g.base, "/a", true)
				sent.Add(2)
				if err1 != nil || err2 != nil || s1 != 200 || (s2 != 200 && s2 != 403) {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("/b/x %d %v, /a %d %v", s1, err1, s2, err2))
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	opsWrite(t, live, opsEdited)
	took := opsWait(t, "the edit takes effect", 10*opsInterval+2*time.Second, func() bool { return status() == 200 })
	t.Logf("the edit took effect after %v (interval %v)", took, opsInterval)
	if took > 2*opsInterval+500*time.Millisecond {
		t.Errorf("the edit took %v, want about one interval (%v)", took, opsInterval)
	}
	opsWrite(t, live, opsBroken)
	opsWait(t, "the broken edit is logged", 5*time.Second, func() bool {
		return strings.Contains(g.logs(), g.reloadLog) && strings.Contains(g.logs(), g.reloadWhere)
	})
	time.Sleep(3 * opsInterval)
	if s := status(); s != 200 {
		t.Errorf("after a broken edit: %d, want 200 (the previous rules)", s)
	}
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d of %d requests failed during the reloads; first: %v", n, sent.Load(), firstErr.Load())
	}
	t.Logf("%d requests during the reloads, none failed", sent.Load())
	m := g.metrics()
	for _, want := range []string{g.reloadOK, g.reloadError} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, m)
		}
	}
	// the live rules changed, the shadow rules did not: they agree now
	if strings.Count(g.logs(), g.shadowLog) == 0 {
		t.Error("shadow disagreement not logged")
	}
	if strings.Contains(g.logs(), "u-dev") && !strings.Contains(g.logs(), `"user_id":"u-dev"`) {
		t.Error("the user id appears in a log line other than the decision log")
	}
}

func TestCaddyOps(t *testing.T) {
	_, live, shadow := opsFiles(t)
	port := freePort(t)
	p := caddyStart(t, []string{caddySite(port, fmt.Sprintf(`	route {
		authz {
			trust_user_headers
			rules_file %s
			rules_reload %s
			shadow_rules_file %s
			metrics_path /.aclgate/metrics
			decision_log
		}
		respond "ok" 200
	}`, live, opsInterval, shadow))}, port)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	g := &opsGateway{
		base:         base,
		metrics:      func() string { return opsBody(t, fmt.Sprintf("http://localhost:%d/metrics", p.adminPort)) },
		logs:         p.logs.String,
		shadowMetric: `caddy_authz_shadow_disagreements_total{live_reason="forbidden",live_route="GET /a",shadow_reason="allowed",shadow_route="GET /a"} 1`,
		reloadOK:     `caddy_authz_rules_reloads_total{file="` + live + `",result="ok"} 1`,
		reloadError:  `caddy_authz_rules_reloads_total{file="` + live + `",result="error"} 1`,
		shadowLog:    `"msg":"shadow rules disagree","method":"GET","path":"/a","live_route":"GET /a","live_status":403,"live_reason":"forbidden","shadow_route":"GET /a","shadow_status":200,"shadow_reason":"allowed"`,
		reloadLog:    `"msg":"rules reload failed: keeping the previous rules","file":"` + live + `","error":"rules_file \"` + live + `\", line `,
		reloadWhere:  `path \"/a\", method \"GET\", field \"authorization.expression\": column`,
	}
	opsScenario(t, g, live)
	// the decisions by rule in Caddy's registry, and aclgate's own counters at metrics_path
	m := g.metrics()
	if !strings.Contains(m, `caddy_authz_decisions_total{outcome="forbidden",route="GET /a"}`) {
		t.Errorf("caddy metrics lack the decisions by route")
	}
	own := opsBody(t, base+"/.aclgate/metrics")
	if !strings.Contains(own, `aclgate_decisions_total{reason="forbidden",route="GET /a"} `) {
		t.Errorf("metrics_path:\n%s", own)
	}
	if !strings.Contains(p.logs.String(), `"msg":"aclgate decision","mode":"inline","method":"GET","path":"/b/x","route":"ALL /b/","status":200`) {
		t.Error("decision_log: no JSON line on stdout")
	}
}

func TestTraefikOps(t *testing.T) {
	_, live, shadow := opsFiles(t)
	app := newUpstream(t)
	p := traefikStart(t, []traefikEntryPoint{{name: "web"}}, func(eps map[string]string) string {
		return fmt.Sprintf(`
http:
  routers:
    app:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [web]
      middlewares: [authz]
      service: app
  middlewares:
    authz:
      plugin:
        aclgate:
          trustUserHeaders: true
          rulesFile: %s
          rulesReload: %s
          shadowRulesFile: %s
          metricsPath: /.aclgate/metrics
          decisionLog: true
  services:
    app:
      loadBalancer:
        servers:
          - url: %s
`, live, opsInterval, shadow, app.URL)
	})
	p.waitEnabled(t, "authz@file")
	base := "http://" + p.eps["web"]
	waitHTTP(t, base+"/b/x", 10*time.Second)
	g := &opsGateway{
		base:         base,
		metrics:      func() string { return opsBody(t, base+"/.aclgate/metrics") },
		logs:         p.logs.String,
		shadowMetric: `aclgate_shadow_disagreements_total{live_route="GET /a",shadow_route="GET /a",live_reason="forbidden",shadow_reason="allowed"} 1`,
		reloadOK:     `aclgate_rules_reloads_total{file="rules_file",result="ok"} 1`,
		reloadError:  `aclgate_rules_reloads_total{file="rules_file",result="error"} 1`,
		shadowLog:    `warning: shadow rules disagree: GET "/a": live "GET /a" 403 forbidden, shadow "GET /a" 200 allowed`,
		reloadLog:    `rules reload: keeping the previous rules: rulesFile "` + live + `", line `,
		reloadWhere:  `path "/a", method "GET", field "authorization.expression": column`,
	}
	opsScenario(t, g, live)
	m := g.metrics()
	for _, want := range []string{
		"# TYPE aclgate_decisions_total counter",
		`aclgate_decisions_total{reason="allowed",route="ALL /b/"} `,
		`aclgate_decisions_total{reason="forbidden",route="GET /a"} `,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metricsPath lacks %s", want)
		}
	}
	if !strings.Contains(p.logs.String(), `"msg":"aclgate decision","mode":"inline","method":"GET","path":"/a","route":"GET /a","status":403,"allowed":false,"reason":"forbidden","user_id":"u-dev"`) {
		t.Error("decisionLog: no JSON line on stdout")
	}
}

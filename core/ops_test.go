package core

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	opsRulesV1 = `{"/a": {"GET": {"authorization": {"expression": "groups.admin", "public": false}}},
		"/b/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	opsRulesV2 = `{"/a": {"GET": {"authorization": {"expression": "true", "public": true}}},
		"/b/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	opsRulesBroken = `{"/a": {"GET": {"authorization": {"expression": "groups.admin &&", "public": false}}}}`
)

func writeRules(t *testing.T, path, doc string) {
	t.Helper()
	// write then rename, as a deployment should: a reader never sees half a file
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// opsEvents collects the Reload and Shadow hooks.
type opsEvents struct {
	mu      sync.Mutex
	reloads []string
	shadows []ShadowDisagreement
}

func (e *opsEvents) reload(file string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.reloads = append(e.reloads, "error: "+err.Error())
		return
	}
	e.reloads = append(e.reloads, "ok "+filepath.Base(file))
}

func (e *opsEvents) shadow(s ShadowDisagreement) {
	e.mu.Lock()
	e.shadows = append(e.shadows, s)
	e.mu.Unlock()
}

func (e *opsEvents) reloadList() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.reloads...)
}

func opsRequest(method, path string, user bool) *http.Request {
	r := reqSpec{method: method, target: path}.build()
	if user {
		r.Header["Miauserid"] = []string{"u1"}
		r.Header["Miausergroups"] = []string{"dev"}
	}
	return r
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHotReload: an edit takes effect within the interval while requests
// keep being decided (never an unexpected status), a broken edit keeps the
// previous rules and is reported once, a later good edit is taken.
func TestHotReload(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "auth.json")
	writeRules(t, file, opsRulesV1)
	ev := &opsEvents{}
	cfg := DefaultConfig()
	cfg.TrustUserHeaders = true
	cfg.RulesFile = file
	cfg.Ops.RulesReload = 100 * time.Millisecond
	cfg.Hooks.Reload = ev.reload
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	// a load of requests during the swaps: /b/ is public in every version,
	// /a is 403 for a non-admin before the edit, 200 after
	var stop atomic.Bool
	var failed atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if d := a.Authorize(opsRequest("GET", "/b/x", false)); d.Status != 200 {
					failed.Add(1)
				}
				if d := a.Authorize(opsRequest("GET", "/a", true)); d.Status != 200 && d.Status != 403 {
					failed.Add(1)
				}
			}
		}()
	}
	status := func() int { return a.Authorize(opsRequest("GET", "/a", true)).Status }
	if s := status(); s != 403 {
		t.Fatalf("before the edit: %d, want 403", s)
	}
	writeRules(t, file, opsRulesV2)
	waitUntil(t, "the edit takes effect", 2*time.Second, func() bool { return status() == 200 })

	writeRules(t, file, opsRulesBroken)
	waitUntil(t, "the broken edit is reported", 2*time.Second, func() bool { return len(ev.reloadList()) >= 2 })
	time.Sleep(300 * time.Millisecond) // several intervals: reported once, rules kept
	if s := status(); s != 200 {
		t.Errorf("after a broken edit: %d, want 200 (the previous rules)", s)
	}
	writeRules(t, file, opsRulesV1)
	waitUntil(t, "the next good edit takes effect", 2*time.Second, func() bool { return status() == 403 })
	stop.Store(true)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d requests got an unexpected status during the reloads", n)
	}
	got := ev.reloadList()
	want := []string{"ok auth.json", "error: ", "ok auth.json"}
	if len(got) != len(want) {
		t.Fatalf("reload events %q, want %q", got, want)
	}
	for i := 0; i < len(want); i++ {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("reload event %d: %q, want prefix %q", i, got[i], want[i])
		}
	}
	if !strings.Contains(got[1], "rules_file "+strconv.Quote(file)) || !strings.Contains(got[1], "column") {
		t.Errorf("the broken edit's report %q should name the file, the rule and the column", got[1])
	}
}

// TestHotReloadStops: Close stops the reloader; an edit after it changes nothing.
func TestHotReloadStops(t *testing.T) {
	file := filepath.Join(t.TempDir(), "auth.json")
	writeRules(t, file, opsRulesV1)
	ev := &opsEvents{}
	cfg := DefaultConfig()
	cfg.TrustUserHeaders = true
	cfg.RulesFile = file
	cfg.Ops.RulesReload = 100 * time.Millisecond
	cfg.Hooks.Reload = ev.reload
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	time.Sleep(150 * time.Millisecond)
	writeRules(t, file, opsRulesV2)
	time.Sleep(350 * time.Millisecond)
	if got := ev.reloadList(); len(got) != 0 {
		t.Errorf("reloads after Close: %q", got)
	}
}

// TestShadowRules: the shadow rules never change the outcome; each
// disagreement is counted by both routes and reported without credentials.
func TestShadowRules(t *testing.T) {
	dir := t.TempDir()
	shadow := filepath.Join(dir, "shadow.json")
	writeRules(t, shadow, `{"/a": {"GET": {"authorization": {"expression": "true", "public": true}}},
		"/b/": {"GET": {"authorization": {"expression": "true", "public": true}}},
		"/b/secret": {"GET": {"authorization": {"expression": "groups.admin", "public": false}}}}`)
	ev := &opsEvents{}
	cfg := DefaultConfig()
	cfg.TrustUserHeaders = true
	cfg.RulesJSON = opsRulesV1
	cfg.Ops.ShadowRulesFile = shadow
	cfg.Ops.Metrics = true
	cfg.Hooks.Shadow = ev.shadow
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	cases := []struct {
		method, path string
		user         bool
		status       int // live, unchanged by the shadow rules
		disagree     string
	}{
		{"GET", "/a", true, 403, `GET "/a": live "GET /a" 403 forbidden, shadow "GET /a" 200 allowed`},
		{"GET", "/a", false, 401, `GET "/a": live "GET /a" 401 unauthenticated, shadow "GET /a" 200 allowed`},
		{"GET", "/b/x", false, 200, ""},
		{"GET", "/b/secret", true, 200, `GET "/b/secret": live "ALL /b/" 200 allowed, shadow "GET /b/secret" 403 forbidden`},
		{"POST", "/b/x", false, 200, `POST "/b/x": live "ALL /b/" 200 allowed, shadow "" 401 route_not_found`},
		{"GET", "/a/../b/x", false, 200, ""},
		{"GET", "/a%2Fx", false, 400, ""}, // not decided by the rules
	}
	for i := 0; i < len(cases); i++ {
		c := cases[i]
		r := opsRequest(c.method, c.path, c.user)
		r.Header["Authorization"] = []string{"Bearer secret-token"}
		d := a.Authorize(r)
		if d.Status != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, d.Status, c.status)
		}
		ev.mu.Lock()
		got := ""
		if len(ev.shadows) > 0 {
			got = strings.TrimPrefix(ev.shadows[0].String(), "shadow rules disagree: ")
			if strings.Contains(ev.shadows[0].String(), "secret-token") {
				t.Errorf("a credential in %q", got)
			}
		}
		ev.shadows = nil
		ev.mu.Unlock()
		if got != c.disagree {
			t.Errorf("%s %s: disagreement %q, want %q", c.method, c.path, got, c.disagree)
		}
	}
	var b bytes.Buffer
	a.WriteMetrics(&b)
	for _, want := range []string{
		`aclgate_shadow_disagreements_total{live_route="GET /a",shadow_route="GET /a",live_reason="forbidden",shadow_reason="allowed"} 1`,
		`aclgate_shadow_disagreements_total{live_route="ALL /b/",shadow_route="",live_reason="allowed",shadow_reason="route_not_found"} 1`,
		`aclgate_decisions_total{reason="allowed",route="ALL /b/"} 4`,
		`aclgate_decisions_total{reason="bad_request",route=""} 1`,
	} {
		if !strings.Contains(b.String(), want+"\n") {
			t.Errorf("metrics lack %s:\n%s", want, b.String())
		}
	}
}

// TestDecisionLog: one JSON line per decision, with the canonical path
// and the user id, never the query or a credential.
func TestDecisionLog(t *testing.T) {
	var buf bytes.Buffer
	cfg := DefaultConfig()
	cfg.TrustUserHeaders = true
	cfg.RulesJSON = opsRulesV1
	cfg.Ops.DecisionLog = &buf
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	r := opsRequest("GET", "/b/./x?token=secret-query", true)
	r.Header["Authorization"] = []string{"Bearer secret-token"}
	a.Authorize(r)
	a.Authorize(opsRequest("GET", "/a", false))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	if strings.Contains(buf.String(), "secret") {
		t.Errorf("a credential or the query in the log:\n%s", buf.String())
	}
	want := []map[string]any{
		{"method": "GET", "path": "/b/x", "route": "ALL /b/", "status": 200.0, "allowed": true, "reason": "allowed", "user_id": "u1"},
		{"method": "GET", "path": "/a", "route": "GET /a", "status": 401.0, "allowed": false, "reason": "unauthenticated", "user_id": ""},
	}
	for i := 0; i < len(lines); i++ {
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, lines[i])
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
	}
}

func TestOpsConfigErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	writeRules(t, good, opsRulesV1)
	broken := filepath.Join(dir, "broken.json")
	writeRules(t, broken, opsRulesBroken)
	cases := []struct {
		name string
		set  func(c *Config)
		want string
	}{
		{"negative", func(c *Config) { c.RulesFile = good; c.Ops.RulesReload = -time.Second }, "rules_reload: must not be negative, got -1s"},
		{"too short", func(c *Config) { c.RulesFile = good; c.Ops.RulesReload = time.Millisecond }, "rules_reload: 1ms is shorter than the minimum, 100ms"},
		{"nothing to reload", func(c *Config) { c.RulesJSON = opsRulesV1; c.Ops.RulesReload = time.Second }, "rules_reload: 1s needs rules_file or shadow_rules_file"},
		{"shadow missing", func(c *Config) { c.RulesFile = good; c.Ops.ShadowRulesFile = filepath.Join(dir, "nope.json") }, "shadow_rules_file: open "},
		{"shadow broken", func(c *Config) { c.RulesFile = good; c.Ops.ShadowRulesFile = broken }, `shadow_rules_file ` + strconv.Quote(broken) + `, line 1, column 9: path "/a", method "GET", field "authorization.expression": column`},
	}
	for i := 0; i < len(cases); i++ {
		c := cases[i]
		cfg := DefaultConfig()
		c.set(&cfg)
		a, err := New(cfg)
		if err == nil {
			a.Close()
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %q, want prefix %q", c.name, err, c.want)
		}
	}
}

func TestMetricsText(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RulesJSON = `{"/q\"x": {"GET": {"authorization": {"expression": "true", "public": true}}}}`
	cfg.Ops.Metrics = true
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Authorize(opsRequest("GET", `/q%22x`, false))
	var b bytes.Buffer
	a.WriteMetrics(&b)
	want := "# HELP aclgate_decisions_total Authorization decisions by reason and matched rule (route).\n" +
		"# TYPE aclgate_decisions_total counter\n" +
		`aclgate_decisions_total{reason="allowed",route="GET /q\"x"} 1` + "\n"
	if !strings.HasPrefix(b.String(), want) {
		t.Errorf("metrics:\n%s\nwant prefix:\n%s", b.String(), want)
	}
}

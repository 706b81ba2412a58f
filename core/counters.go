package core

import (
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// counters are the decision, shadow and reload counters that
// [Authorizer.WriteMetrics] serves in the Prometheus text format, for a
// gateway whose plugins cannot register metrics (Traefik). Labels are
// bounded: reasons, rule keys and option names, never a request path.
type counters struct {
	mu        sync.Mutex
	decisions map[string]uint64 // reason \x00 route
	shadow    map[string]uint64 // live route \x00 shadow route \x00 live reason \x00 shadow reason
	reloads   map[string]uint64 // option \x00 result
}

func newCounters() *counters {
	return &counters{decisions: map[string]uint64{}, shadow: map[string]uint64{}, reloads: map[string]uint64{}}
}

func countDecision(c *counters, reason, route string) {
	k := reason + "\x00" + route
	c.mu.Lock()
	c.decisions[k]++
	c.mu.Unlock()
}

func countShadow(c *counters, s *ShadowDisagreement) {
	k := s.LiveRoute + "\x00" + s.ShadowRoute + "\x00" + s.LiveReason + "\x00" + s.ShadowReason
	c.mu.Lock()
	c.shadow[k]++
	c.mu.Unlock()
}

func countReload(c *counters, option, result string) {
	c.mu.Lock()
	c.reloads[option+"\x00"+result]++
	c.mu.Unlock()
}

// metric families: name, help, label names, and which map
var metricFamilies = []struct {
	name, help string
	labels     []string
}{
	{"aclgate_decisions_total", "Authorization decisions by reason and matched rule (route).", []string{"reason", "route"}},
	{"aclgate_shadow_disagreements_total", "Requests on which the shadow rules decided otherwise than the live rules, by both rules and both outcomes.", []string{"live_route", "shadow_route", "live_reason", "shadow_reason"}},
	{"aclgate_rules_reloads_total", "Hot reloads of a rules file, by option and result (ok, error: the previous rules stay).", []string{"file", "result"}},
}

// WriteMetrics writes the counters in the Prometheus text format (version
// 0.0.4). Without the metrics option it writes the families empty.
func (a *Authorizer) WriteMetrics(w io.Writer) {
	var maps [3]map[string]uint64
	if a.obs != nil && a.obs.counts != nil {
		c := a.obs.counts
		c.mu.Lock()
		maps[0] = copyCounts(c.decisions)
		maps[1] = copyCounts(c.shadow)
		maps[2] = copyCounts(c.reloads)
		c.mu.Unlock()
	}
	var b strings.Builder
	for i := 0; i < len(metricFamilies); i++ {
		f := metricFamilies[i]
		b.WriteString("# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " counter\n")
		keys := make([]string, 0, len(maps[i]))
		for k := range maps[i] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for j := 0; j < len(keys); j++ {
			vals := strings.Split(keys[j], "\x00")
			b.WriteString(f.name + "{")
			for l := 0; l < len(f.labels) && l < len(vals); l++ {
				if l > 0 {
					b.WriteString(",")
				}
				b.WriteString(f.labels[l] + `="` + labelValue(vals[l]) + `"`)
			}
			b.WriteString("} " + strconv.FormatUint(maps[i][keys[j]], 10) + "\n")
		}
	}
	io.WriteString(w, b.String())
}

// ServeMetrics answers a scrape of the metrics path: GET or HEAD, 200
// with WriteMetrics; other methods 405.
func (a *Authorizer) ServeMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	a.WriteMetrics(w)
}

func copyCounts(m map[string]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// labelValue escapes a label value: backslash, double quote and newline.
func labelValue(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return strings.ReplaceAll(s, "\n", `\n`)
}

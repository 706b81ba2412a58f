package core

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aclgate/aclgate/core/rules"
)

// observer is the work done after a decision when an operations option
// asks for it: shadow rules, counters and the decision log. Authorize
// calls observe only when the Authorizer's ops flag is set, so none of
// this costs a request otherwise.
type observer struct {
	reload    bool         // rules_reload: live holds the rules that decide
	live      atomic.Value // *rules.Set
	strict    bool
	mode      string
	hasShadow bool
	shadow    atomic.Value // *rules.Set of shadow_rules_file
	counts    *counters    // nil unless Ops.Metrics
	log       io.Writer    // nil unless Ops.DecisionLog
	logMu     sync.Mutex
	hooks     Hooks
}

func newObserver(a *Authorizer, cfg *Config) *observer {
	o := &observer{strict: a.strict, mode: ModeInline, hasShadow: cfg.Ops.ShadowRulesFile != "",
		log: cfg.Ops.DecisionLog, hooks: cfg.Hooks}
	if a.decision {
		o.mode = ModeDecision
	}
	if cfg.Ops.Metrics {
		o.counts = newCounters()
	}
	return o
}

// authorizeOps is Authorize when an operations option is on: under hot
// reload it decides with the rules live when the request starts (a copy of
// the Authorizer carries them, so a request finishes on the rules it
// started with and authorize stays as it is), then observes the decision.
func authorizeOps(a *Authorizer, r *http.Request, d *Decision) {
	if a.obs.reload {
		b := *a
		b.rules = a.obs.live.Load().(*rules.Set)
		authorize(&b, r, d)
	} else {
		authorize(a, r, d)
	}
	observe(a, d)
}

// observe is the work after a decision (see observer).
func observe(a *Authorizer, d *Decision) {
	o := a.obs
	if o.counts != nil {
		countDecision(o.counts, d.Reason, d.Route)
	}
	if o.hasShadow {
		compareShadow(o, d)
	}
	if o.log != nil {
		logDecision(o, d)
	}
}

// ruleDecided reports whether the rules decided d (rather than a bad
// request, an invalid credential or a preflight): only then can shadow
// rules disagree.
func ruleDecided(reason string) bool {
	return reason == ReasonAllowed || reason == ReasonForbidden ||
		reason == ReasonUnauthenticated || reason == ReasonRouteNotFound
}

// statusOf is the status the decision table gives reason.
func statusOf(strict bool, reason string) int {
	switch {
	case reason == ReasonAllowed || !strict:
		return 200
	case reason == ReasonForbidden:
		return 403
	case reason == ReasonBadRequest:
		return 400
	}
	return 401
}

// ruleReason decides by the rules of set alone, for the caller of d: the
// route and the reason the live decision would give.
func ruleReason(set *rules.Set, d *Decision) (string, string) {
	az := rules.Lookup(set, d.Path, d.Method, d.Backoffice)
	if az == nil {
		return "", ReasonRouteNotFound
	}
	if !az.Public && d.User.ID == "" {
		return az.Route, ReasonUnauthenticated
	}
	if az.Always || evalRule(az, d) == ReasonAllowed {
		return az.Route, ReasonAllowed
	}
	if d.User.ID == "" {
		return az.Route, ReasonUnauthenticated
	}
	return az.Route, ReasonForbidden
}

// logDecision writes d as one JSON line. It holds no credential: the
// canonical path (no query), the matched rule and the user id.
func logDecision(o *observer, d *Decision) {
	line := `{"time":` + quote(time.Now().UTC().Format(time.RFC3339Nano)) +
		`,"msg":"aclgate decision","mode":` + quote(o.mode) +
		`,"method":` + quote(d.Method) + `,"path":` + quote(d.Path) +
		`,"route":` + quote(d.Route) + `,"status":` + strconv.Itoa(d.Status) +
		`,"allowed":` + strconv.FormatBool(d.Allowed) + `,"reason":` + quote(d.Reason) +
		`,"user_id":` + quote(d.User.ID) + `,"client_type":` + quote(d.ClientType) +
		`,"backoffice":` + strconv.FormatBool(d.Backoffice) + "}\n"
	o.logMu.Lock()
	o.log.Write([]byte(line))
	o.logMu.Unlock()
}

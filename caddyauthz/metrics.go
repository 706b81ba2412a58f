package caddyauthz

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// authzMetrics are the package's Prometheus collectors. They are created
// once and registered with the metrics registry of every configuration
// load (Caddy makes a new registry per load; a sync.Once around the
// registration would lose the metrics after a reload), so counts survive
// reloads and several authz handlers share them.
var authzMetrics = struct {
	decisions           *prometheus.CounterVec
	userinfoDuration    prometheus.Histogram
	userinfoErrors      prometheus.Counter
	shadowDisagreements *prometheus.CounterVec
	rulesReloads        *prometheus.CounterVec
}{
	decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "authz",
		Name:      "decisions_total",
		Help:      "Authorization decisions by outcome (allowed, route_not_found, unauthenticated, forbidden, invalid_token, bad_request, invalid_api_key, preflight) and matched rule (route, e.g. \"GET /users/:id\"; empty when none).",
	}, []string{"outcome", "route"}),
	shadowDisagreements: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "authz",
		Name:      "shadow_disagreements_total",
		Help:      "Requests on which shadow_rules_file decided otherwise than the live rules, by both rules and both outcomes.",
	}, []string{"live_route", "shadow_route", "live_reason", "shadow_reason"}),
	rulesReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "authz",
		Name:      "rules_reloads_total",
		Help:      "Hot reloads (rules_reload) of a rules file, by file and result (ok; error: the previous rules stay).",
	}, []string{"file", "result"}),
	userinfoDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "caddy",
		Subsystem: "authz",
		Name:      "userinfo_duration_seconds",
		Help:      "Duration of userinfo calls, cache misses only.",
		Buckets:   prometheus.DefBuckets,
	}),
	userinfoErrors: prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "caddy",
		Subsystem: "authz",
		Name:      "userinfo_errors_total",
		Help:      "Userinfo calls that failed (transport error, timeout, unexpected status or invalid body).",
	}),
}

// registerMetrics registers the collectors with reg, which may already hold
// them (another authz handler of the same configuration). A nil registry
// (unit tests) is ignored.
func registerMetrics(reg *prometheus.Registry) {
	if reg == nil {
		return
	}
	for _, c := range []prometheus.Collector{
		authzMetrics.decisions,
		authzMetrics.userinfoDuration,
		authzMetrics.userinfoErrors,
		authzMetrics.shadowDisagreements,
		authzMetrics.rulesReloads,
	} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				// only a programming error (an invalid descriptor) gets here
				panic(err)
			}
		}
	}
}

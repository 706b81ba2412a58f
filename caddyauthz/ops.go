package caddyauthz

import (
	"os"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/aclgate/aclgate/core"
)

// OpsOptions are the operations options of the handler: hot reload, shadow
// rules and the observability that Caddy's own metrics and logs do not
// already give.
type OpsOptions struct {
	// RulesReload re-reads rules_file and shadow_rules_file every interval
	// (at least 100ms; default 0: off) and swaps in their rules when the
	// content changed and loads. A file that does not load keeps the
	// previous rules and is logged. Requests in flight finish on the rules
	// they started with.
	RulesReload caddy.Duration `json:"rules_reload,omitempty"`

	// ShadowRulesFile is a candidate rules file, decided on every request
	// beside the live rules (in place of rules_file and rules_json; inline
	// rules apply to both) without changing the outcome. Each disagreement
	// is counted (caddy_authz_shadow_disagreements_total) and logged at
	// warn level with the method, canonical path, both rules and both
	// outcomes.
	ShadowRulesFile string `json:"shadow_rules_file,omitempty"`

	// MetricsPath, when set, is answered by the handler with aclgate's own
	// counters in the Prometheus text format, as the Traefik plugin does
	// (Caddy's metrics endpoint has the same counts as caddy_authz_*).
	MetricsPath string `json:"metrics_path,omitempty"`

	// DecisionLog writes one JSON line per decision to stdout, as the
	// Traefik plugin does; the handler's logger already logs every
	// decision (debug level when allowed, info when denied).
	DecisionLog bool `json:"decision_log,omitempty"`
}

// unmarshalCaddyfile parses one operations subdirective; it reports false
// when name is not one.
func (o *OpsOptions) unmarshalCaddyfile(d *caddyfile.Dispenser, name string) (bool, error) {
	var err error
	switch name {
	case "rules_reload":
		err = durationArg(d, &o.RulesReload)
	case "shadow_rules_file":
		err = oneArg(d, &o.ShadowRulesFile)
	case "metrics_path":
		if err = oneArg(d, &o.MetricsPath); err == nil && (o.MetricsPath == "" || o.MetricsPath[0] != '/') {
			err = d.Errf("metrics_path: %q is not a path: it must start with /", o.MetricsPath)
		}
	case "decision_log":
		o.DecisionLog, err = optionalBool(d)
	default:
		return false, nil
	}
	return true, err
}

// coreOps fills cfg.Ops, expanding global placeholders with str.
func (o *OpsOptions) coreOps(cfg *core.Config, str func(option, v string) string) {
	cfg.Ops.RulesReload = time.Duration(o.RulesReload)
	cfg.Ops.ShadowRulesFile = str("shadow_rules_file", o.ShadowRulesFile)
	cfg.Ops.Metrics = o.MetricsPath != ""
	if o.DecisionLog {
		cfg.Ops.DecisionLog = stdout{}
	}
}

// opsHooks reports shadow disagreements and reloads to the logger and the
// metrics.
func (a *Authz) opsHooks(h *core.Hooks) {
	h.Shadow = func(s core.ShadowDisagreement) {
		authzMetrics.shadowDisagreements.WithLabelValues(s.LiveRoute, s.ShadowRoute, s.LiveReason, s.ShadowReason).Inc()
		a.logger.Warn("shadow rules disagree",
			zap.String("method", s.Method),
			zap.String("path", s.Path),
			zap.String("live_route", s.LiveRoute),
			zap.Int("live_status", s.LiveStatus),
			zap.String("live_reason", s.LiveReason),
			zap.String("shadow_route", s.ShadowRoute),
			zap.Int("shadow_status", s.ShadowStatus),
			zap.String("shadow_reason", s.ShadowReason),
		)
	}
	h.Reload = func(file string, err error) {
		if err != nil {
			authzMetrics.rulesReloads.WithLabelValues(file, "error").Inc()
			a.logger.Warn("rules reload failed: keeping the previous rules", zap.String("file", file), zap.String("error", err.Error()))
			return
		}
		authzMetrics.rulesReloads.WithLabelValues(file, "ok").Inc()
		a.logger.Info("rules reloaded", zap.String("file", file))
	}
}

// stdout is os.Stdout as the decision log's writer, looked up on each
// write (tests and Caddy may replace os.Stdout).
type stdout struct{}

func (stdout) Write(p []byte) (int, error) { return osStdout().Write(p) }

func osStdout() *os.File { return os.Stdout }

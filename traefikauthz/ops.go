package traefikauthz

import (
	"errors"
	"net/http"
	"os"
	"strings"

	"github.com/aclgate/aclgate/core"
)

// opsConfig fills cfg.Ops from the operations keys: rulesReload,
// shadowRulesFile, metricsPath and decisionLog.
func opsConfig(c *Config, cfg *core.Config) error {
	var err error
	if cfg.Ops.RulesReload, err = duration("rulesReload", c.RulesReload, 0); err != nil {
		return err
	}
	cfg.Ops.ShadowRulesFile = strings.TrimSpace(c.ShadowRulesFile)
	if p := strings.TrimSpace(c.MetricsPath); p != "" {
		if p[0] != '/' {
			return errors.New("metricsPath: " + quoteValue(p) + " is not a path: it must start with /")
		}
		cfg.Ops.Metrics = true
	}
	if c.DecisionLog {
		cfg.Ops.DecisionLog = os.Stdout
	}
	return nil
}

// reloadHook reports hot reloads on stderr, which Traefik logs.
func reloadHook(name string, warn func(string)) func(string, error) {
	return func(file string, err error) {
		if err != nil {
			warn("rules reload: keeping the previous rules: " + err.Error())
			return
		}
		os.Stderr.WriteString("aclgate " + name + ": rules reloaded from " + file + "\n")
	}
}

// serveFront answers what the plugin serves itself, before any decision:
// the token endpoint's paths and the metrics path. It reports whether it
// answered.
func serveFront(h *handler, rw http.ResponseWriter, req *http.Request) bool {
	if h.tokens != nil && h.tokens.ServeHTTP(rw, req) {
		return true
	}
	if h.metricsPath != "" && req.URL.Path == h.metricsPath {
		h.authz.ServeMetrics(rw, req)
		return true
	}
	return false
}

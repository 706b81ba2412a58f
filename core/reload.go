package core

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"sync/atomic"
	"time"

	"github.com/aclgate/aclgate/core/rules"
)

// watched is one rules file under hot reload: the live rules file or the
// shadow rules file, with the inline rules of the configuration.
type watched struct {
	src     rules.Source  // File is the watched file
	holder  *atomic.Value // where its *rules.Set lives
	seen    [32]byte      // SHA-256 of the content last examined
	lastErr string        // the failure last reported, to report each once
}

// loadRules loads the live rules of cfg into a and, when configured, the
// shadow rules and the observer of decisions; with rules_reload it starts
// the reloader, which ctx stops.
func loadRules(ctx context.Context, a *Authorizer, cfg *Config) error {
	ops := &cfg.Ops
	if ops.RulesReload < 0 {
		return errors.New("rules_reload: must not be negative, got " + ops.RulesReload.String())
	}
	if ops.RulesReload > 0 && ops.RulesReload < MinRulesReload {
		return errors.New("rules_reload: " + ops.RulesReload.String() + " is shorter than the minimum, " + MinRulesReload.String())
	}
	if ops.RulesReload > 0 && cfg.RulesFile == "" && ops.ShadowRulesFile == "" {
		return errors.New("rules_reload: " + ops.RulesReload.String() + " needs rules_file or shadow_rules_file (inline rules cannot change)")
	}
	o := newObserver(a, cfg)
	var files []*watched
	if cfg.RulesFile != "" {
		files = append(files, &watched{src: rulesSource(cfg), holder: &o.live})
	}
	if ops.ShadowRulesFile != "" {
		src := rulesSource(cfg)
		src.File = ops.ShadowRulesFile
		src.JSON = "" // the shadow file replaces the rules document, not the inline rules
		src.Option = "shadow_rules_file"
		files = append(files, &watched{src: src, holder: &o.shadow})
	}
	for i := 0; i < len(files); i++ {
		if _, err := loadWatched(files[i]); err != nil {
			return err
		}
	}
	if cfg.RulesFile == "" {
		set, err := rules.Load(rulesSource(cfg))
		if err != nil {
			return err
		}
		o.live.Store(set)
	}
	a.rules = o.live.Load().(*rules.Set)
	a.obs = o
	o.reload = ops.RulesReload > 0
	a.ops = o.reload || o.counts != nil || o.hasShadow || o.log != nil
	if o.reload {
		go reloadLoop(ctx, ops.RulesReload, files, o)
	}
	return nil
}

// loadWatched reads and loads w's file; on success its rules are live. It
// reports whether the content was new.
func loadWatched(w *watched) (bool, error) {
	data, err := os.ReadFile(w.src.File)
	if err != nil {
		return false, errors.New(watchedOption(w) + ": " + err.Error())
	}
	sum := sha256.Sum256(data)
	if sum == w.seen {
		return false, nil
	}
	w.seen = sum
	src := w.src
	src.FileData = data
	set, err := rules.Load(src)
	if err != nil {
		return true, err
	}
	w.holder.Store(set)
	return true, nil
}

func watchedOption(w *watched) string {
	if w.src.Option != "" {
		return w.src.Option
	}
	return "rules_file"
}

// reloadLoop checks the files every interval until ctx is done.
func reloadLoop(ctx context.Context, interval time.Duration, files []*watched, o *observer) {
	t := time.NewTicker(interval)
	defer t.Stop()
	done := ctx.Done()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			for i := 0; i < len(files); i++ {
				checkWatched(files[i], o)
			}
		}
	}
}

// checkWatched reloads w when its content changed. A file that does not
// load keeps the previous rules; each failure is reported once.
func checkWatched(w *watched, o *observer) {
	changed, err := loadWatched(w)
	if err != nil {
		if err.Error() != w.lastErr {
			w.lastErr = err.Error()
			reported(o, w, err)
		}
		return
	}
	w.lastErr = ""
	if changed {
		reported(o, w, nil)
	}
}

// reported counts and reports the outcome of one reload.
func reported(o *observer, w *watched, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	if o.counts != nil {
		countReload(o.counts, watchedOption(w), result)
	}
	if o.hooks.Reload != nil {
		o.hooks.Reload(w.src.File, err)
		return
	}
	if err != nil && o.hooks.Warn != nil {
		o.hooks.Warn("rules reload: keeping the previous rules: " + err.Error())
	}
}

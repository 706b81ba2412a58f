// Package traefikauthz is aclgate's Traefik middleware plugin: a thin adapter
// that decodes Traefik's dynamic configuration into a [core.Config] and runs
// the shared decision engine of package core on every request.
//
// Traefik loads it as source through yaegi (see .traefik.yml at the module
// root), so this package, like core, imports only the standard library and
// stays within the Go subset that yaegi v0.16.1 interprets. The exported
// entry points are the two Traefik looks up by name:
//
//	func CreateConfig() *Config
//	func New(ctx context.Context, next http.Handler, config *Config, name string) (http.Handler, error)
//
// The handler never wraps the ResponseWriter: allowed requests reach the
// next handler with Traefik's own writer, so websockets (Hijacker) and
// streaming (Flusher) keep working.
//
// See docs/traefik.md for every option and examples.
package traefikauthz

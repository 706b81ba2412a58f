package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// proc is a running gateway: its sites' addresses by name.
type proc struct {
	name  string
	addrs map[string]string
	cmd   *exec.Cmd
	logs  *bytes.Buffer
	dir   string
}

// site is one listener of a gateway: Caddy site body or Traefik
// middleware configuration, by name.
type site struct {
	name string
	// caddy is the body of the Caddy site block (the listener is added);
	// traefik is the YAML of the aclgate plugin's options (indented by the
	// caller for the plugin key), or "" for a router without the plugin;
	// traefikMiddleware, when set, replaces the plugin with this YAML
	// middleware definition (forwardAuth).
	caddy, traefik, traefikMiddleware string
}

// freeAddr returns a loopback address that was free a moment ago. The
// gateways bind it themselves; start retries with fresh ports when one
// was taken in between.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startCaddy runs the Caddy binary with one site per entry.
func startCaddy(bin string, sites []site) (*proc, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var p *proc
		if p, err = tryCaddy(bin, sites); err == nil {
			return p, nil
		}
	}
	return nil, err
}

func tryCaddy(bin string, sites []site) (*proc, error) {
	dir, err := os.MkdirTemp("", "aclgate-bench-caddy")
	if err != nil {
		return nil, err
	}
	p := &proc{name: "caddy", addrs: map[string]string{}, logs: &bytes.Buffer{}, dir: dir}
	var cf strings.Builder
	cf.WriteString("{\n\tadmin off\n\tauto_https off\n\tpersist_config off\n\tskip_install_trust\n\tlog {\n\t\tlevel ERROR\n\t}\n}\n")
	for _, s := range sites {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		p.addrs[s.name] = addr
		fmt.Fprintf(&cf, "http://%s {\n%s\n}\n", addr, s.caddy)
	}
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(cf.String()), 0o644); err != nil {
		return nil, err
	}
	p.cmd = exec.Command(bin, "run", "--config", file, "--adapter", "caddyfile")
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, nil
}

// startTraefik runs the Traefik binary with the plugin loaded from root
// (experimental.localPlugins) and one entry point and router per site.
func startTraefik(bin, root, upstream string, sites []site) (*proc, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var p *proc
		if p, err = tryTraefik(bin, root, upstream, sites); err == nil {
			return p, nil
		}
	}
	return nil, err
}

func tryTraefik(bin, root, upstream string, sites []site) (*proc, error) {
	dir, err := os.MkdirTemp("", "aclgate-bench-traefik")
	if err != nil {
		return nil, err
	}
	link := filepath.Join(dir, "plugins-local", "src", "github.com", "aclgate", "aclgate")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink(root, link); err != nil {
		return nil, err
	}
	p := &proc{name: "traefik", addrs: map[string]string{}, logs: &bytes.Buffer{}, dir: dir}
	var static, dyn strings.Builder
	static.WriteString("global:\n  checkNewVersion: false\n  sendAnonymousUsage: false\nentryPoints:\n")
	dyn.WriteString("http:\n  routers:\n")
	var mws strings.Builder
	for _, s := range sites {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		p.addrs[s.name] = addr
		fmt.Fprintf(&static, "  %s:\n    address: %q\n", s.name, addr)
		fmt.Fprintf(&dyn, "    %s:\n      rule: PathPrefix(`/`)\n      entryPoints: [%s]\n      service: up\n", s.name, s.name)
		switch {
		case s.traefikMiddleware != "":
			fmt.Fprintf(&dyn, "      middlewares: [mw-%s]\n", s.name)
			fmt.Fprintf(&mws, "    mw-%s:\n%s\n", s.name, indent(s.traefikMiddleware, "      "))
		case s.traefik != "":
			fmt.Fprintf(&dyn, "      middlewares: [mw-%s]\n", s.name)
			fmt.Fprintf(&mws, "    mw-%s:\n      plugin:\n        aclgate:\n%s\n", s.name, indent(s.traefik, "          "))
		}
	}
	if mws.Len() > 0 {
		dyn.WriteString("  middlewares:\n" + mws.String())
	}
	fmt.Fprintf(&dyn, "  services:\n    up:\n      loadBalancer:\n        servers:\n          - url: http://%s\n", upstream)
	static.WriteString("log:\n  level: ERROR\nproviders:\n  file:\n    filename: dynamic.yml\nexperimental:\n  abortOnPluginFailure: true\n  localPlugins:\n    aclgate:\n      moduleName: github.com/aclgate/aclgate\n")
	if err := os.WriteFile(filepath.Join(dir, "traefik.yml"), []byte(static.String()), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "dynamic.yml"), []byte(dyn.String()), 0o644); err != nil {
		return nil, err
	}
	p.cmd = exec.Command(bin, "--configFile="+filepath.Join(dir, "traefik.yml"))
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, nil
}

// start runs the process and waits (60 s at most) until every site answers
// HTTP.
func (p *proc) start() error {
	if err := p.cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		p.cmd.Wait()
		close(exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for name, addr := range p.addrs {
		for {
			select {
			case <-exited:
				return fmt.Errorf("%s exited during start-up (site %s):\n%s", p.name, name, tail(p.logs.String(), 30))
			default:
			}
			resp, err := client.Get("http://" + addr + "/")
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				p.stop()
				return fmt.Errorf("%s site %s did not answer in 60s:\n%s", p.name, name, tail(p.logs.String(), 30))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// stop ends the process and removes its directory.
func (p *proc) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
		}
	}
	os.RemoveAll(p.dir)
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

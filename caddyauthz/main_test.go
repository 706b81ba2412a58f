package caddyauthz

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// TestMain starts the in-process Caddy of the caddytest tests on free
// ports before they run. A port picked free can be taken by another
// process before Caddy binds it, so a bind error is retried with fresh
// ports; once Caddy holds the ports, every test configuration reuses them
// (Caddy hands its listeners over across reloads).
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		if err := startTestCaddy(); err != nil {
			fmt.Fprintln(os.Stderr, "caddyauthz tests:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if !testing.Short() {
		caddy.Stop()
	}
	os.Exit(code)
}

func startTestCaddy() error {
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		var ports []int
		ports, err = freePorts(3)
		if err != nil {
			return err
		}
		testAdminPort, testHTTPPort, testHTTPSPort = ports[0], ports[1], ports[2]
		testBase = fmt.Sprintf("http://localhost:%d", testHTTPPort)
		cfg := fmt.Sprintf(`{
  "admin": {"listen": "localhost:%d", "config": {"persist": false}},
  "apps": {"http": {"http_port": %d, "https_port": %d, "grace_period": 1,
    "servers": {"srv0": {"listen": [":%d"], "routes": [{"handle": [{"handler": "static_response", "body": "ready"}]}]}}}}
}`, testAdminPort, testHTTPPort, testHTTPSPort, testHTTPPort)
		err = caddy.Load([]byte(cfg), true)
		if err == nil {
			return nil
		}
		if !strings.Contains(err.Error(), "address already in use") {
			return err
		}
		caddy.Stop()
	}
	return fmt.Errorf("no free ports after 10 attempts: %v", err)
}

// freePorts returns n distinct ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", ":0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// memorySecret is the HMAC key of the memory scenario's tokens.
const memorySecret = "bench-memory-secret-0123456789abcdef"

// memory sends 100,000 distinct valid tokens (o.tokens) through the JWT
// authorizer of Caddy and of Traefik and samples each gateway's resident
// memory: once the verified-token cache is full (token_cache_size, default
// 10000), it must stay flat.
func memory(o options) (string, error) {
	up, err := startUpstream()
	if err != nil {
		return "", err
	}
	rules := `{"/api/": {"GET": {"authorization": {"expression": "groups.users", "public": false}}}}`
	cp, err := startCaddy(o.caddy, []site{{name: "jwt", caddy: "\tauthz {\n\t\tjwt {\n\t\t\thmac_secret " + memorySecret +
		"\n\t\t}\n\t\trules_json `" + rules + "`\n\t}\n\treverse_proxy " + up.addr}})
	if err != nil {
		return "", err
	}
	defer cp.stop()
	tp, err := startTraefik(o.traefik, o.root, up.addr, []site{{name: "jwt", traefik: "jwt:\n  hmacSecret: " + memorySecret +
		"\nrulesJson: '" + rules + "'"}})
	if err != nil {
		return "", err
	}
	defer tp.stop()
	exp := time.Now().Add(24 * time.Hour).Unix()
	var b strings.Builder
	b.WriteString("| gateway | tokens sent | resident memory MiB | failed |\n|---|---|---|---|\n")
	for _, p := range []*proc{cp, tp} {
		url := "http://" + p.addrs["jwt"] + "/api/x"
		fmt.Fprintf(&b, "| %s | 0 | %.1f | 0 |\n", p.name, p.rss())
		var sent, failed atomic.Int64
		step := o.tokens / 4
		for q := 1; q <= 4; q++ {
			var wg sync.WaitGroup
			next := atomic.Int64{}
			next.Store(int64((q - 1) * step))
			end := int64(q * step)
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= end {
							return
						}
						tok := hs256(memorySecret, map[string]any{"sub": "user-" + strconv.FormatInt(i, 10), "groups": []string{"users"},
							"exp": exp, "jti": strconv.FormatInt(i, 36)})
						req, _ := http.NewRequest("GET", url, nil)
						req.Header.Set("Authorization", "Bearer "+tok)
						resp, err := client.Do(req)
						if err != nil || resp.StatusCode != 200 {
							failed.Add(1)
						}
						if err == nil {
							resp.Body.Close()
						}
						sent.Add(1)
					}
				}()
			}
			wg.Wait()
			client.CloseIdleConnections()
			fmt.Fprintf(&b, "| %s | %d | %.1f | %d |\n", p.name, sent.Load(), p.rss(), failed.Load())
		}
	}
	fmt.Fprintf(&b, "\nEach token is distinct (its own sub and jti), HS256, sent once by 16 concurrent clients; the JWT authorizer's verified-token cache holds at most 10,000 (the default token_cache_size).\n")
	return b.String(), nil
}

// rss returns the resident set size of the process in MiB (Linux).
func (p *proc) rss() float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// Command demo serves the two services of the aclgate demo that a gateway
// cannot serve itself, for `make run-traefik` (the Caddy demo of `make run`
// serves the same two from its Caddyfile):
//
//	127.0.0.1:8081  the identity service: GET /userinfo with
//	                Authorization: Bearer alice-token|bob-token|carol-token
//	                answers that user as JSON, anything else 401
//	127.0.0.1:8083  the upstream: echoes the request it received as JSON;
//	                GET /web-login is the demo's login page
//
// Both listen on loopback only. Flags -userinfo and -echo change the
// addresses; a non-loopback address is refused.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// users are the demo's users, as testdata/Caddyfile's :8081 answers them.
var users = map[string]string{
	"Bearer alice-token": `{"sub":"alice","name":"Alice","email":"alice@example.com","groups":["admin"],"permissions":["users:read","users:write"]}`,
	"Bearer bob-token":   `{"sub":"bob","name":"Bob","email":"bob@example.com","groups":["user"],"permissions":["users:read"]}`,
	"Bearer carol-token": `{"sub":"carol","name":"Carol","email":"carol@example.com","groups":[],"permissions":[]}`,
}

func userinfo(w http.ResponseWriter, r *http.Request) {
	u, ok := users[r.Header.Get("Authorization")]
	if r.URL.Path != "/userinfo" || !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, u)
}

func echo(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/web-login" {
		fmt.Fprintf(w, "The demo login page. After logging in, go back to %s", r.URL.Query().Get("redirect"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(map[string]any{
		"upstream": "echo",
		"method":   r.Method,
		"path":     r.URL.Path,
		"query":    r.URL.RawQuery,
		"headers":  r.Header,
	})
	w.Write(append(b, '\n'))
}

// listen refuses anything but a loopback address.
func listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, errors.New(addr + ": the demo services listen on loopback only")
	}
	return net.Listen("tcp", addr)
}

func main() {
	userinfoAddr := flag.String("userinfo", "127.0.0.1:8081", "address of the identity service (loopback)")
	echoAddr := flag.String("echo", "127.0.0.1:8083", "address of the echo upstream (loopback)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var servers []*http.Server
	for _, s := range []struct {
		addr string
		h    http.HandlerFunc
		what string
	}{{*userinfoAddr, userinfo, "identity service"}, {*echoAddr, echo, "echo upstream"}} {
		l, err := listen(s.addr)
		if err != nil {
			log.Fatal(err)
		}
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		log.Printf("demo: %s on http://%s", s.what, l.Addr())
		go srv.Serve(l)
	}
	<-ctx.Done()
	for _, srv := range servers {
		srv.Close()
	}
}

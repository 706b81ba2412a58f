package main

import (
	"net"
	"net/http"
	"sync/atomic"
)

// identity is the userinfo service of the benchmarks: Authorization
// "Bearer bench" is a user in group "users"; anything else is 401. When
// failing is set, every other call answers 500.
type identity struct {
	addr    string
	failing atomic.Bool
	calls   atomic.Int64
	srv     *http.Server
}

var benchUser = []byte(`{"sub":"bench-user","groups":["users"],"permissions":["read"],"email":"bench@example.com"}`)

func startIdentity() (*identity, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	id := &identity{addr: ln.Addr().String()}
	id.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := id.calls.Add(1)
		if id.failing.Load() && n%2 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if r.Header.Get("Authorization") != "Bearer bench" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(benchUser)
	})}
	go id.srv.Serve(ln)
	return id, nil
}

// upstream answers every request with a small fixed body.
type upstream struct {
	addr string
	srv  *http.Server
}

func startUpstream() (*upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := &upstream{addr: ln.Addr().String()}
	body := []byte("ok\n")
	u.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})}
	go u.srv.Serve(ln)
	return u, nil
}

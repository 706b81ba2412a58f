// Command bench runs aclgate's end-to-end load benchmarks: real Caddy and
// Traefik binaries (built by `make caddy traefik`), an identity service and
// an upstream on loopback, and wrk as the load generator. It is not a test:
// timing is reported, never asserted. Run it with `make bench-load` or
//
//	go run ./bench -scenario faults -duration 5s
//
// Scenarios:
//
//	faults  the identity service healthy, then failing every other call,
//	        then healthy again, behind authz inline (userinfo, no cache) in
//	        Caddy and in Traefik: public routes must keep their speed,
//	        protected routes answer 401 for the failed calls, and the
//	        gateway recovers with the service.
//
// With -write FILE the result table replaces the scenario's section of FILE
// (between <!-- bench:NAME --> and <!-- /bench:NAME -->), with the command
// that produced it.
package main

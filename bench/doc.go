// Command bench runs aclgate's end-to-end load benchmarks: real Caddy and
// Traefik binaries (built by `make caddy traefik`), an identity service and
// an upstream on loopback, and wrk as the load generator. It is not a test:
// timing is reported, never asserted. Run it with `make bench` or
//
//	go run ./bench -scenario faults -duration 5s
//
// Scenarios:
//
//	gateways  every way of running the decision side by side: Caddy plain,
//	          authz with trusted headers, userinfo cached and uncached, JWT
//	          RS256, forward_auth to a decision-mode Caddy; Traefik plain, the
//	          plugin with trusted headers, cached userinfo, JWT RS256, and
//	          forwardAuth to the decision-mode Caddy; requests/s, p50, p99
//	          and each ratio, rounds alternating between the cases.
//	memory  100,000 distinct valid tokens through the JWT authorizer of
//	        both gateways, sampling their resident memory.
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

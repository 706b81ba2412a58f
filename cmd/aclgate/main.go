// Command aclgate is the rules tooling of aclgate for Traefik and Mia
// users, the same as `caddy authz`:
//
//	aclgate lint FILE...
//	aclgate explain --rules FILE --method M --path P [--user JSON] [--header "Name: value"]...
//	                [--permissions-key K] [--user-id-key K] [--backoffice] [--client-type T]
//	aclgate test --rules FILE [option flags] CASES
//
// Run it with `go run github.com/aclgate/aclgate/cmd/aclgate`. See
// docs/changing-rules.md.
package main

import (
	"os"

	"github.com/aclgate/aclgate/core/ruletool"
)

func main() {
	os.Exit(ruletool.Main("aclgate", os.Args[1:], os.Stdout, os.Stderr))
}

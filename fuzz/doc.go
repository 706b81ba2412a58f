// Package fuzz holds the fuzz targets of aclgate: the expression compiler,
// the path canonicaliser and the JWT decoder. `make test` runs each briefly;
// `go test -fuzz=FuzzX -fuzztime=10m ./fuzz` runs one for longer.
package fuzz

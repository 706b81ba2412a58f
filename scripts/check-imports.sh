#!/usr/bin/env bash
# Enforces the import graph of core (see CONTRIBUTING.md, "Package map"):
#
#   core/expr   the expression language      imports nothing of ours
#   core/rules  auth.json and route matching  → core/expr
#   core/jose   JWS, JWK, JWKS, signing       imports nothing of ours
#   core/token  the token endpoint            → core/jose
#   core        the Authorizer                → core/rules, core/expr, core/jose
#   core/ruletool  lint, explain, test        → core and below (the only core/ package that imports core)
#   traefikauthz (interpreted by yaegi too)   → core, core/token and below
#
# Every package under core/ and traefikauthz/ imports only the standard
# library besides these. The check reads `go list -deps`, so an edge
# reached indirectly counts too; it prints the graph it found.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=github.com/aclgate/aclgate
declare -A allowed=(
  [core/expr]=""
  [core/rules]="core/expr"
  [core/jose]=""
  [core/token]="core/jose"
  [core]="core/rules core/expr core/jose"
  [core/ruletool]="core core/rules core/expr core/jose"
  [traefikauthz]="core core/rules core/expr core/jose core/token"
)
status=0
echo "import graph (own packages each one depends on, directly or not):"
# go list fails on an import cycle: that is a failure of the check too
if ! pkgs=$(go list ./core/... ./traefikauthz); then
  echo "FORBIDDEN: go list failed (an import cycle?)"
  exit 1
fi
for pkg in $pkgs; do
  rel=${pkg#"$mod/"}
  if [ -z "${allowed[$rel]+set}" ]; then
    echo "  $rel: a new package: add it to scripts/check-imports.sh and CONTRIBUTING.md"
    status=1
    continue
  fi
  all=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$pkg") || exit 1
  deps=$(echo "$all" | grep -vx "$pkg" || true)
  own=()
  for d in $deps; do
    case "$d" in
      "$mod"/*) own+=("${d#"$mod/"}") ;;
      *) echo "  $rel imports $d: only the standard library is allowed (yaegi runs this code in Traefik)"; status=1 ;;
    esac
  done
  echo "  $rel -> ${own[*]:-(stdlib only)}"
  for d in "${own[@]}"; do
    case " ${allowed[$rel]} " in
      *" $d "*) ;;
      *) echo "  FORBIDDEN: $rel imports $d (allowed: ${allowed[$rel]:-none})"; status=1 ;;
    esac
  done
done
exit $status

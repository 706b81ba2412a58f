package caddyauthz

import (
	"os"
	"strings"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/aclgate/aclgate/core/ruletool"
)

// `caddy authz lint|explain|test`: the rules tooling of package ruletool,
// with the same flags as the standalone aclgate command.
func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "authz",
		Usage: "lint|explain|test [flags] [files]",
		Short: "Lints, explains and tests aclgate authorization rules (auth.json)",
		Long:  strings.ReplaceAll(ruletool.Usage, "PROG", "caddy authz"),
		CobraFunc: func(cmd *cobra.Command) {
			// ruletool parses its own flags
			cmd.DisableFlagParsing = true
			cmd.RunE = func(cmd *cobra.Command, args []string) error {
				if code := ruletool.Main("caddy authz", args, os.Stdout, os.Stderr); code != 0 {
					os.Exit(code)
				}
				return nil
			}
		},
	})
}

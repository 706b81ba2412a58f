package ruletool

import (
	"errors"
	"flag"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Usage is the command line of both front doors; PROG is "aclgate" or
// "caddy authz".
const Usage = `usage:
  PROG lint FILE...
      one line per finding (file, key, method block, what, why); exit 1 on any
  PROG explain --rules FILE --method M --path P [--user JSON] [--header "Name: value"]...
               [--permissions-key K] [--user-id-key K] [--backoffice] [--client-type T]
      how the request is decided: canonical path, matching keys, chosen block,
      expression and value, status when strict and when not
  PROG test --rules FILE [--permissions-key K] [--user-id-key K] [--backoffice] [--client-type T] CASES
      decides every case of the CASES file and prints each difference; exit 1 on any
exit status: 0 clean, 1 findings, differences or a file that does not load, 2 usage
`

// Main runs the command line args (without the program name) and returns
// the exit status.
func Main(prog string, args []string, stdout, stderr io.Writer) int {
	usage := strings.ReplaceAll(Usage, "PROG", prog)
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		return 2
	}
	switch args[0] {
	case "lint":
		return mainLint(args[1:], stdout, stderr, usage)
	case "explain", "test":
		return mainDecide(args[0], args[1:], stdout, stderr, usage)
	case "help", "-h", "--help", "-help":
		io.WriteString(stdout, usage)
		return 0
	}
	io.WriteString(stderr, prog+": unknown command "+strconv.Quote(args[0])+"\n"+usage)
	return 2
}

func mainLint(args []string, stdout, stderr io.Writer, usage string) int {
	if len(args) == 0 {
		io.WriteString(stderr, "lint: no rules file\n"+usage)
		return 2
	}
	status := 0
	for i := 0; i < len(args); i++ {
		findings, err := LintFile(args[i])
		if err != nil {
			io.WriteString(stderr, err.Error()+"\n")
			status = 1
			continue
		}
		for j := 0; j < len(findings); j++ {
			io.WriteString(stdout, findings[j].String()+"\n")
			status = 1
		}
	}
	return status
}

// headerFlags collects repeated --header "Name: value" flags.
type headerFlags struct{ h http.Header }

func (f *headerFlags) String() string { return "" }

func (f *headerFlags) Set(s string) error {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return errors.New(strconv.Quote(s) + " is not \"Name: value\"")
	}
	f.h.Add(strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]))
	return nil
}

func mainDecide(cmd string, args []string, stdout, stderr io.Writer, usage string) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, usage) }
	rulesFile := fs.String("rules", "", "the rules file (auth.json)")
	method := fs.String("method", "", "the request method")
	path := fs.String("path", "", "the request path, as a client sends it")
	user := fs.String("user", "", "the caller's identity document, JSON")
	headers := &headerFlags{h: http.Header{}}
	fs.Var(headers, "header", `a request header, "Name: value" (repeatable)`)
	var opts Options
	fs.StringVar(&opts.PermissionsKey, "permissions-key", "permissions", "the user field holding the permissions")
	fs.StringVar(&opts.UserIDKey, "user-id-key", "sub", "the user field holding the user id")
	fs.BoolVar(&opts.Backoffice, "backoffice", false, "decide as the backoffice entry point")
	fs.StringVar(&opts.ClientType, "client-type", "", "the request's client type")
	// flags and operands may interleave
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *rulesFile == "" {
		io.WriteString(stderr, cmd+": --rules is required\n"+usage)
		return 2
	}
	if cmd == "test" {
		if len(operands) != 1 {
			io.WriteString(stderr, "test: want one cases file\n"+usage)
			return 2
		}
		diffs, n, err := RunCases(*rulesFile, operands[0], opts)
		if err != nil {
			io.WriteString(stderr, err.Error()+"\n")
			return 1
		}
		for i := 0; i < len(diffs); i++ {
			io.WriteString(stdout, diffs[i]+"\n")
		}
		if len(diffs) > 0 {
			io.WriteString(stdout, strconv.Itoa(len(diffs))+" differences in "+strconv.Itoa(n)+" cases\n")
			return 1
		}
		io.WriteString(stdout, "ok: "+strconv.Itoa(n)+" cases\n")
		return 0
	}
	if len(operands) != 0 || *method == "" || *path == "" {
		io.WriteString(stderr, "explain: --method and --path are required, and nothing else\n"+usage)
		return 2
	}
	u, err := parseUser(*user)
	if err != nil {
		io.WriteString(stderr, err.Error()+"\n")
		return 2
	}
	out, err := Explain(*rulesFile, opts, &Request{Method: *method, Path: *path, User: u, Header: headers.h})
	if err != nil {
		io.WriteString(stderr, err.Error()+"\n")
		return 1
	}
	io.WriteString(stdout, out)
	return 0
}

package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// options are the command line of one benchmark run.
type options struct {
	scenario string
	duration time.Duration
	rounds   int
	conns    int
	caddy    string
	traefik  string
	root     string
	write    string
	tokens   int
}

func main() {
	var o options
	flag.StringVar(&o.scenario, "scenario", "gateways", "gateways, faults or memory")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of one wrk run (whole seconds)")
	flag.IntVar(&o.rounds, "rounds", 3, "alternating rounds per measurement")
	flag.IntVar(&o.conns, "c", 32, "wrk connections")
	flag.StringVar(&o.caddy, "caddy", ".cache/caddy-v2.11.9/caddy", "the Caddy binary (make caddy)")
	flag.StringVar(&o.traefik, "traefik", ".cache/traefik-v3.6.12/traefik", "the Traefik binary (make traefik)")
	flag.StringVar(&o.root, "root", ".", "the aclgate checkout (Traefik loads the plugin from it)")
	flag.IntVar(&o.tokens, "tokens", 100000, "distinct tokens of the memory scenario")
	flag.StringVar(&o.write, "write", "", "replace the scenario's section of this Markdown file with the result")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed (Debian: apt-get install wrk; make bench installs it)")
	}
	var err error
	for _, p := range []*string{&o.root, &o.caddy, &o.traefik} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
	}
	var table string
	switch o.scenario {
	case "faults":
		table, err = faults(o)
	case "gateways":
		table, err = gateways(o)
	case "memory":
		table, err = memory(o)
	default:
		return fmt.Errorf("unknown scenario %q", o.scenario)
	}
	if err != nil {
		return err
	}
	cmd := "go run ./bench " + strings.Join(os.Args[1:], " ")
	out := fmt.Sprintf("Produced by `%s` on %s.\n\n%s", cmd, time.Now().UTC().Format("2006-01-02"), table)
	fmt.Println(out)
	if o.write != "" {
		return writeSection(o.write, o.scenario, out)
	}
	return nil
}

// writeSection replaces the text between <!-- bench:name --> and
// <!-- /bench:name --> in file, or appends the section.
func writeSection(file, name, body string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	s := string(data)
	open, close := "<!-- bench:"+name+" -->", "<!-- /bench:"+name+" -->"
	section := open + "\n" + body + "\n" + close
	i, j := strings.Index(s, open), strings.Index(s, close)
	if i >= 0 && j > i {
		s = s[:i] + section + s[j+len(close):]
	} else {
		s = strings.TrimRight(s, "\n") + "\n\n" + section + "\n"
	}
	return os.WriteFile(file, []byte(s), 0o644)
}

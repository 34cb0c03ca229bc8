package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/greenwave-project/greenwave/sim"
)

func init() {
	register(command{name: "sim", summary: "run a simulation scenario and report travel times, stops and cross-traffic cost",
		run: runSim})
}

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strategies := fs.String("strategies", strings.Join(sim.Strategies, ","), "comma-separated strategies to run: none, range, greenwave")
	asJSON := fs.Bool("json", false, "print exactly one JSON object instead of the table")
	svgDir := fs.String("svg", "", "write one time-space diagram per vehicle trip and strategy into this directory")
	htmlFile := fs.String("html", "", "write the report as one self-contained HTML file: table, time-space diagrams")
	seed := fs.Uint64("seed", 0, "override the scenario's seed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave sim SCENARIO.yaml [--strategies none,range,greenwave] [--json] [--svg DIR] [--html FILE] [--seed N]")
		fs.PrintDefaults()
	}
	// Flags may come before or after the scenario path.
	var positional []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		args = fs.Args()
		if len(args) > 0 {
			positional = append(positional, args[0])
			args = args[1:]
		}
	}
	if len(positional) != 1 {
		fs.Usage()
		return errUsage
	}
	sc, err := sim.LoadScenario(positional[0])
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "seed" {
			sc.Seed = *seed
		}
	})
	opt := sim.Options{Record: *svgDir != "" || *htmlFile != ""}
	for _, s := range strings.Split(*strategies, ",") {
		if s = strings.TrimSpace(s); s != "" {
			opt.Strategies = append(opt.Strategies, s)
		}
	}
	if !*asJSON && isTerminal(stderr) {
		opt.Progress = progressPrinter(stderr)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rep, err := sim.Simulate(sc, opt)
	if opt.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	if *svgDir != "" {
		if err := os.MkdirAll(*svgDir, 0o755); err != nil {
			return err
		}
		files, err := rep.WriteSVGs(*svgDir)
		if err != nil {
			return err
		}
		if !*asJSON {
			fmt.Fprintf(stderr, "wrote %d time-space diagrams to %s\n", len(files), *svgDir)
		}
	}
	if *htmlFile != "" {
		if err := writeHTMLReport(*htmlFile, rep); err != nil {
			return err
		}
		if !*asJSON {
			fmt.Fprintf(stderr, "wrote the report to %s\n", *htmlFile)
		}
	}
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteTable(stdout)
}

// isTerminal reports whether w is a character device (a terminal), without
// golang.org/x/term: progress goes only where someone watches it.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressPrinter redraws one status line at most ten times a second.
func progressPrinter(w io.Writer) func(string, float64) {
	var last time.Time
	return func(strategy string, done float64) {
		if now := time.Now(); now.Sub(last) >= 100*time.Millisecond {
			last = now
			fmt.Fprintf(w, "\r\033[K%-9s %3.0f%%", strategy, 100*done)
		}
	}
}

// writeHTMLReport writes the self-contained HTML report; a sweep's
// frontier will come in as a sim.HTMLSection.
func writeHTMLReport(name string, rep *sim.Report) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := rep.WriteHTML(f, sim.HTMLOptions{}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	strategies := fs.String("strategies", strings.Join(sim.Strategies, ","), "comma-separated strategies to run: "+strings.Join(sim.Strategies, ", "))
	asJSON := fs.Bool("json", false, "print exactly one JSON object instead of the table")
	svgDir := fs.String("svg", "", "write one time-space diagram per vehicle trip and strategy into this directory")
	htmlFile := fs.String("html", "", "write the report as one self-contained HTML file: table, time-space diagrams, and a sweep's frontier")
	seed := fs.Uint64("seed", 0, "override the scenario's seed")
	var price *float64
	fs.Var(priceFlag{&price}, "price", "override the scenario's controller.price for the greenwave runs (not the swept ones): ≥ 0 or inf (docs/planner.md)")
	var sweeps sweepFlags
	fs.Var(&sweeps, "sweep", "run one strategy at every value of a setting, on the same seed: range_m=FROM:TO:STEP (range) or price=V1,V2,... (greenwave; inf allowed); repeatable; --svg then draws the frontier")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave sim SCENARIO.yaml [--strategies none,range,greenwave] [--json] [--svg DIR] [--html FILE] [--seed N] [--price P]\n"+
			"       greenwave sim SCENARIO.yaml --sweep range_m=200:1000:100 [--sweep price=0,10,100,inf] [--json] [--svg DIR] [--html FILE] [--seed N] [--price P]")
		fs.PrintDefaults()
	}
	scenarioFile, err := parseOneArg(fs, args)
	if err != nil {
		return err
	}
	sc, err := sim.LoadScenario(scenarioFile)
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "seed" {
			sc.Seed = *seed
		}
	})
	if price != nil {
		sc.Controller.Price = price
	}
	if len(sweeps) > 0 {
		return runSweeps(ctx, sc, sweeps, *asJSON, *svgDir, *htmlFile, stdout, stderr)
	}
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
		if err := writeFile(*htmlFile, func(w io.Writer) error { return rep.WriteHTML(w, sim.HTMLOptions{}) }); err != nil {
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

// sweepFlags collects repeated --sweep flags.
type sweepFlags []sim.SweepSpec

func (s *sweepFlags) String() string { return "" }

func (s *sweepFlags) Set(v string) error {
	sp, err := sim.ParseSweep(v)
	if err != nil {
		return err
	}
	*s = append(*s, sp)
	return nil
}

func runSweeps(ctx context.Context, sc *sim.Scenario, sweeps []sim.SweepSpec, asJSON bool, svgDir, htmlFile string, stdout, stderr io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rep, err := sim.Sweep(sc, sweeps, sim.Options{})
	if err != nil {
		return err
	}
	if svgDir != "" {
		if err := os.MkdirAll(svgDir, 0o755); err != nil {
			return err
		}
		name := filepath.Join(svgDir, sc.Name+"-frontier.svg")
		if err := writeFile(name, rep.WriteFrontierSVG); err != nil {
			return err
		}
		if !asJSON {
			fmt.Fprintf(stderr, "wrote the frontier to %s\n", name)
		}
	}
	if htmlFile != "" {
		// The page: the default strategies' report with its diagrams, and
		// the sweep's frontier and rows as a section of it.
		base, err := sim.Simulate(sc, sim.Options{Record: true})
		if err != nil {
			return err
		}
		var frontier, table bytes.Buffer
		if err := rep.WriteFrontierSVG(&frontier); err != nil {
			return err
		}
		if err := rep.WriteTable(&table); err != nil {
			return err
		}
		section := sim.HTMLSection{Title: "Frontier", Caption: table.String(), SVG: frontier.Bytes()}
		if err := writeFile(htmlFile, func(w io.Writer) error {
			return base.WriteHTML(w, sim.HTMLOptions{Sections: []sim.HTMLSection{section}})
		}); err != nil {
			return err
		}
		if !asJSON {
			fmt.Fprintf(stderr, "wrote the report to %s\n", htmlFile)
		}
	}
	if asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteTable(stdout)
}

// writeFile creates name and writes it with write.
func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

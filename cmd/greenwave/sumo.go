package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/greenwave-project/greenwave/sim"
	"github.com/greenwave-project/greenwave/sumo"
)

func init() {
	register(command{name: "sumo", summary: "co-simulate a scenario in SUMO: ambulances, greenwave's engine, and roadside units played in SUMO",
		run: runSUMO})
}

// runSUMO runs a SUMO scenario (docs/sumo.md) under each strategy and
// prints the report.
func runSUMO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sumo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strategies := fs.String("strategies", strings.Join(sim.Strategies, ","), "comma-separated strategies to run: "+strings.Join(sim.Strategies, ", "))
	asJSON := fs.Bool("json", false, "print exactly one JSON object instead of the table")
	svgDir := fs.String("svg", "", "write one time-distance diagram per ambulance trip (every strategy) into this directory")
	gui := fs.Bool("gui", false, "run the strategies in sumo-gui")
	duration := fs.Float64("duration", 0, "end every run this many simulated seconds after SUMO's begin (0: the scenario's end_s, else the configuration's end)")
	seed := fs.Uint64("seed", 0, "override the scenario's seed (greenwave's: GPS noise, link jitter; SUMO's own is in the .sumocfg)")
	verbose := fs.Bool("v", false, "pass SUMO's own output to stderr")
	queueLead := fs.Bool("queue-aware-lead", false, "turn on the engine's queue-aware lead (needs flow_veh_h in the map; see docs/sumo.md)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave sumo SCENARIO.yaml [--strategies none,range,greenwave] [--seed N] [--json] [--svg DIR] [--gui] [--duration S]")
		fs.PrintDefaults()
	}
	scenarioFile, err := parseOneArg(fs, args)
	if err != nil {
		return err
	}
	sc, err := sumo.LoadScenario(scenarioFile)
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "seed" {
			sc.Seed = *seed
		}
	})
	opt := sumo.CoSimOptions{GUI: *gui, DurationS: *duration, Record: *svgDir != "", QueueAwareLead: *queueLead}
	for _, s := range strings.Split(*strategies, ",") {
		if s = strings.TrimSpace(s); s != "" {
			opt.Strategies = append(opt.Strategies, s)
		}
	}
	if *verbose {
		opt.SUMOOutput = stderr
	}
	if !*asJSON && isTerminal(stderr) {
		opt.Progress = func(run string, t, end float64) {
			if end > 0 {
				fmt.Fprintf(stderr, "\r\033[K%-9s t=%.0f/%.0f s", run, t, end)
			} else {
				fmt.Fprintf(stderr, "\r\033[K%-9s t=%.0f s", run, t)
			}
		}
	}
	rep, err := sumo.CoSimulate(ctx, sc, opt)
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
			fmt.Fprintf(stderr, "wrote %d time-distance diagrams to %s\n", len(files), *svgDir)
		}
	}
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteTable(stdout)
}

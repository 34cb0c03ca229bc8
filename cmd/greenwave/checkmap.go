package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/greenwave-project/greenwave/routing"
)

func init() {
	register(command{name: "check-map", summary: "list a map's suspicious intersections (near pairs, approaches no road enters, crossing approaches on one phase)",
		run: runCheckMap})
}

// checkPlanCycle is the cycle of the normal plan the phase check builds: a
// junction's stages and which phases are green together do not depend on
// it (Intersection.NormalPlan lengthens it where a junction needs more).
const checkPlanCycle = 90 * time.Second

// runCheckMap loads a map and prints what routing.Network.Check finds, one
// line each (or a JSON array); it fails when it finds anything, so that a
// city's pipeline can gate on it.
func runCheckMap(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check-map", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mapFile := fs.String("map", "", "map file (GeoJSON, see spec/map-format.md)")
	nearM := fs.Float64("near-m", routing.NearIntersectionsM, "report two intersections closer than this (metres)")
	asJSON := fs.Bool("json", false, "print the findings as one JSON array")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave check-map --map FILE [--near-m 25] [--json]")
		fmt.Fprintln(stderr, "Lists intersections closer than --near-m, approaches no road enters near their bearing, and")
		fmt.Fprintln(stderr, "approaches whose paths cross on one phase or on phases the normal plan shows green together.")
		fmt.Fprintln(stderr, "Exits 1 when it finds any.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q (flags only: --map, --near-m, --json)", fs.Arg(0))
	case *mapFile == "":
		return errors.New("--map FILE is required")
	case !(*nearM > 0) || *nearM > 1000:
		return fmt.Errorf("--near-m must be in (0, 1000] metres, got %v", *nearM)
	}
	net, err := routing.LoadMapFile(*mapFile)
	if err != nil {
		return fmt.Errorf("map %s: %s", *mapFile, flatten(err))
	}
	findings := net.Check(routing.CheckOptions{NearM: *nearM, GreenTogether: greenTogether()})
	if *asJSON {
		if findings == nil {
			findings = []routing.MapFinding{}
		}
		b, err := json.Marshal(findings)
		if err != nil {
			return err
		}
		if _, err := stdout.Write(append(b, '\n')); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			fmt.Fprintln(stdout, f)
		}
		fmt.Fprintf(stdout, "%d intersections checked, %d findings\n", len(net.Intersections()), len(findings))
	}
	if len(findings) > 0 {
		return fmt.Errorf("%d suspicious findings in %s", len(findings), *mapFile)
	}
	return nil
}

// greenTogether answers from each intersection's normal plan, the one
// the simulator and the roadside-unit simulator run (built once per
// intersection).
func greenTogether() func(in *routing.Intersection, p, q int) bool {
	type planned struct {
		conflicts func(p, q int) bool
		ok        bool
	}
	plans := map[string]planned{}
	return func(in *routing.Intersection, p, q int) bool {
		pl, seen := plans[in.ID]
		if !seen {
			plan, _, err := in.NormalPlan(checkPlanCycle, 0.5)
			pl = planned{conflicts: plan.Conflicts, ok: err == nil}
			plans[in.ID] = pl
		}
		return pl.ok && !pl.conflicts(p, q)
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/paulmach/orb"

	"github.com/greenwave-project/greenwave/routing"
)

func init() {
	register(command{name: "route", summary: "print the fastest route between two points and the signals on it",
		run: runRoute})
}

// lonLatFlag is a flag value "LON,LAT".
type lonLatFlag struct {
	p   orb.Point
	set bool
}

func (f *lonLatFlag) String() string {
	if !f.set {
		return ""
	}
	return fmt.Sprintf("%g,%g", f.p[0], f.p[1])
}

func (f *lonLatFlag) Set(s string) error {
	lon, lat, ok := strings.Cut(s, ",")
	if !ok {
		return fmt.Errorf("want LON,LAT, got %q", s)
	}
	x, errX := strconv.ParseFloat(strings.TrimSpace(lon), 64)
	y, errY := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	switch {
	case errX != nil || errY != nil:
		return fmt.Errorf("want LON,LAT as two numbers, got %q", s)
	case math.IsNaN(x) || x < -180 || x > 180:
		return fmt.Errorf("longitude %v is not in [-180, 180]", x)
	case math.IsNaN(y) || y < -90 || y > 90:
		return fmt.Errorf("latitude %v is not in [-90, 90] (is the order LON,LAT?)", y)
	}
	f.p, f.set = orb.Point{x, y}, true
	return nil
}

// routeJSON is the --json output: one object (issue 2, item 7).
type routeJSON struct {
	LengthM   float64       `json:"length_m"`
	FreeFlowS float64       `json:"free_flow_s"`
	Path      [][2]float64  `json:"path"`
	Signals   []routeSignal `json:"signals"`
}

type routeSignal struct {
	IntersectionID string  `json:"intersection_id"`
	Approach       string  `json:"approach"`
	Phase          int     `json:"phase"`
	DistanceM      float64 `json:"distance_m"`
}

// runRoute prints the fastest free-flow route between two points of a map
// and the signalised intersections on it, in the order they are met.
func runRoute(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("route", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mapFile := fs.String("map", "", "map file (GeoJSON, see spec/map-format.md)")
	var from, to lonLatFlag
	fs.Var(&from, "from", "start point `LON,LAT`")
	fs.Var(&to, "to", "destination `LON,LAT`")
	asJSON := fs.Bool("json", false, "print exactly one JSON object instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave route --map FILE --from LON,LAT --to LON,LAT [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q (flags only: --map, --from, --to, --json)", fs.Arg(0))
	case *mapFile == "":
		return errors.New("--map FILE is required")
	case !from.set:
		return errors.New("--from LON,LAT is required")
	case !to.set:
		return errors.New("--to LON,LAT is required")
	}
	net, err := routing.LoadMapFile(*mapFile)
	if err != nil {
		return fmt.Errorf("map %s: %s", *mapFile, flatten(err))
	}
	p, err := net.Route(from.p, to.p)
	if err != nil {
		return errors.New(flatten(err))
	}
	if *asJSON {
		return writeRouteJSON(stdout, p)
	}
	return writeRouteTable(stdout, net, p)
}

func writeRouteJSON(w io.Writer, p *routing.Path) error {
	out := routeJSON{LengthM: round(p.LengthM(), 1), FreeFlowS: round(p.FreeFlowS(), 1),
		Signals: []routeSignal{}}
	for _, ll := range p.LonLats() {
		// 1e-7 degree is about a centimetre.
		out.Path = append(out.Path, [2]float64{round(ll[0], 7), round(ll[1], 7)})
	}
	for _, s := range p.Signals() {
		out.Signals = append(out.Signals, routeSignal{IntersectionID: s.ID, Approach: s.Approach, Phase: s.Phase,
			DistanceM: round(s.AlongM, 1)})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func writeRouteTable(w io.Writer, net *routing.Network, p *routing.Path) error {
	fmt.Fprintf(w, "route: %.0f m, %s at free-flow speeds, %d signals\n", p.LengthM(), minSec(p.FreeFlowS()), len(p.Signals()))
	if len(p.Signals()) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tdistance m\tfree flow\tintersection\tapproach\tphase\tname")
	for i, s := range p.Signals() {
		fmt.Fprintf(tw, "%d\t%.0f\t%s\t%s\t%s\t%d\t%s\n", i+1, s.AlongM, minSec(p.FreeFlowTimeS(0, s.AlongM)),
			s.ID, s.Approach, s.Phase, net.Intersection(s.Intersection).Name)
	}
	return tw.Flush()
}

func minSec(s float64) string {
	s = math.Round(s)
	return fmt.Sprintf("%d:%02.0f", int(s)/60, math.Mod(s, 60))
}

func round(x float64, decimals int) float64 {
	f := math.Pow(10, float64(decimals))
	return math.Round(x*f) / f
}

// flatten puts a (possibly joined, multi-line) error on one line.
func flatten(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

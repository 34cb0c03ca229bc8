package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/greenwave-project/greenwave/routing"
)

func init() {
	register(command{name: "import-osm", summary: "convert an OpenStreetMap extract to a greenwave map (GeoJSON)",
		run: runImportOSM})
}

// runImportOSM converts CITY.osm[.gz|.pbf] to a map file. The network is
// built from the result before anything is written, so a map that would
// not load is never produced; the output file is replaced only once the
// whole map is in hand.
func runImportOSM(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import-osm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "-", "output GeoJSON file (- for stdout)")
	merge := fs.Float64("merge-m", routing.DefaultSignalMergeM,
		"a traffic-signal node that is not a junction belongs to the signalised junction at most this far along the road (stop-line and crossing signals)")
	join := fs.Float64("join-m", routing.DefaultJunctionJoinM,
		"signalised junction nodes at most this far apart along the road (or facing each other across a median) are one junction; a junction spans at most twice this")
	quiet := fs.Bool("q", false, "do not print the import report")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave import-osm CITY.osm[.gz|.pbf] [-o map.geojson] [-merge-m 30] [-join-m 30] [-q]")
		fmt.Fprintln(stderr, "The report (stderr) says per joined junction what was merged and why, per signal node left out why,")
		fmt.Fprintln(stderr, "per pair of intersections within 25 m why they stay two, per turn restriction not applied why.")
		fmt.Fprintln(stderr, "See docs/osm-import.md.")
		fs.PrintDefaults()
	}
	in, err := parseOneArg(fs, args)
	if err != nil {
		return err
	}

	inv, rep, err := routing.ImportOSMFile(in, routing.ImportOptions{SignalMergeM: *merge, JunctionJoinM: *join})
	if err != nil {
		return err
	}
	if len(inv.Roads) == 0 {
		return fmt.Errorf("no drivable roads in %s (%d ways read)", in, rep.WaysRead)
	}
	if _, err := routing.Build(inv); err != nil {
		return fmt.Errorf("the imported map does not build (an importer bug, please report it): %s", oneLine(err))
	}
	var buf bytes.Buffer
	if err := inv.WriteGeoJSON(&buf); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "import-osm %s\n%s", in, rep)
	}
	return writeOutput(*out, buf.Bytes(), stdout)
}

// oneLine keeps the first line of a joined error, with a count of the rest,
// so the command's failure stays a one-line reason.
func oneLine(err error) string {
	msg := err.Error()
	if i := bytes.IndexByte([]byte(msg), '\n'); i >= 0 {
		n := bytes.Count([]byte(msg), []byte("\n"))
		return fmt.Sprintf("%s (and %d more)", msg[:i], n)
	}
	return msg
}

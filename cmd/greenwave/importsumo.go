package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/sumo"
)

func init() {
	register(command{name: "import-sumo", summary: "convert a SUMO network (.net.xml) to a greenwave map (GeoJSON)",
		run: runImportSUMO})
}

// runImportSUMO converts NET.net.xml[.gz] to a map file with the
// properties the co-simulation needs (docs/sumo.md). As import-osm does, it
// builds the network from the result before writing anything and replaces
// the output file only once the whole map is in hand.
func runImportSUMO(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import-sumo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "-", "output GeoJSON file (- for stdout)")
	minGreen := fs.Float64("min-green", 0,
		"minimum green in seconds for every intersection (0: from the program, minDur or the phase duration)")
	quiet := fs.Bool("q", false, "do not print the import report")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave import-sumo NET.net.xml[.gz] [-o map.geojson] [-min-green S] [-q]")
		fs.PrintDefaults()
	}
	in, err := parseOneArg(fs, args)
	if err != nil {
		return err
	}
	if *minGreen < 0 || *minGreen > 3600 {
		return fmt.Errorf("-min-green must be in [0, 3600] seconds, got %v", *minGreen)
	}
	n, err := sumo.ReadNetFile(in)
	if err != nil {
		return err
	}
	m, rep, err := sumo.Import(n, sumo.ImportOptions{MinGreenS: *minGreen})
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if _, err := routing.Build(&m.Inventory); err != nil {
		return fmt.Errorf("the imported map does not build (an importer bug, please report it): %s", oneLine(err))
	}
	var buf bytes.Buffer
	if err := m.WriteGeoJSON(&buf); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "import-sumo %s\n%s", in, rep)
	}
	return writeOutput(*out, buf.Bytes(), stdout)
}

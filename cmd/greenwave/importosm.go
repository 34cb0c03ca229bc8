package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder until the subcommand lands: it says so rather than pretending.
func init() {
	register(command{name: "import-osm", summary: "convert an OpenStreetMap extract to a greenwave map (GeoJSON)",
		run: func(context.Context, []string, io.Writer, io.Writer) error {
			return errors.New("not implemented yet")
		}})
}

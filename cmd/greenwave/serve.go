package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder until the subcommand lands: it says so rather than pretending.
func init() {
	register(command{name: "serve", summary: "run the live controller on an MQTT broker",
		run: func(context.Context, []string, io.Writer, io.Writer) error {
			return errors.New("not implemented yet")
		}})
}

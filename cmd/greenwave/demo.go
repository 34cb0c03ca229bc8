package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder until the subcommand lands: it says so rather than pretending.
func init() {
	register(command{name: "demo", summary: "zero-setup demo: embedded broker, controller, roadside units and ambulances",
		run: func(context.Context, []string, io.Writer, io.Writer) error {
			return errors.New("not implemented yet")
		}})
}

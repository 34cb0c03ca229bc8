package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder until the subcommand lands: it says so rather than pretending.
func init() {
	register(command{name: "sim", summary: "run a simulation scenario and report travel times, stops and cross-traffic cost",
		run: func(context.Context, []string, io.Writer, io.Writer) error {
			return errors.New("not implemented yet")
		}})
}

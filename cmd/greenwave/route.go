package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder until the subcommand lands: it says so rather than pretending.
func init() {
	register(command{name: "route", summary: "print the fastest route between two points and the signals on it",
		run: func(context.Context, []string, io.Writer, io.Writer) error {
			return errors.New("not implemented yet")
		}})
}

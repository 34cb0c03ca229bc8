package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/registry"
)

func init() {
	register(command{name: "acl", summary: "print the Mosquitto ACL rules for registered vehicles whose broker identity is not their vehicle_id", run: runACL})
}

func runACL(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("acl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vehicles := fs.String("vehicles", "", "vehicle registry (CSV or YAML) (required)")
	root := fs.String("topic-root", mqttx.DefaultRoot, "first level(s) of every topic (ROOT/v1/...)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave acl --vehicles FILE [--topic-root ROOT] >> /etc/mosquitto/greenwave.acl\n\n"+
			"The shipped ACL (deploy/mosquitto/greenwave.acl) lets a broker user write the topics of the vehicle of\n"+
			"the same name. For vehicles registered with another identity (a certificate's common name, say), this\n"+
			"prints the rules that let that identity, and only it, write the vehicle's topics.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *vehicles == "" {
		fs.Usage()
		return errors.New("--vehicles is required")
	}
	if _, err := mqttx.NewTopics(*root); err != nil {
		return err
	}
	reg, err := registry.Load(*vehicles)
	if err != nil {
		return err
	}
	return reg.MosquittoACL(stdout, *root)
}

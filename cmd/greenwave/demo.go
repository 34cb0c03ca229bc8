package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/greenwave-project/greenwave/internal/config"
	"github.com/greenwave-project/greenwave/internal/demo"
	"github.com/greenwave-project/greenwave/internal/logx"
)

func init() {
	register(command{name: "demo", summary: "zero-setup demo: embedded broker, controller, roadside units and ambulances", run: runDemo})
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokerURL := fs.String("broker", "", "run against this broker (tcp://, ssl://, ws://) instead of the embedded one on loopback")
	topicRoot := fs.String("topic-root", demo.DefaultTopicRoot, "topic root, kept apart from a real deployment's on a shared broker")
	speedup := fs.Float64("speedup", demo.DefaultSpeedup, fmt.Sprintf("clock seconds per real second, shared by every component (1..%d)", demo.MaxSpeedup))
	vehicles := fs.Int("vehicles", 1, fmt.Sprintf("ambulances, departing 20 s apart (1..%d)", demo.MaxVehicles))
	mapFile := fs.String("map", "", "map file (default: "+demo.DefaultMap+" of the repository)")
	seed := fs.Uint64("seed", 1, "picks the ambulances' routes")
	logLevel := &config.Choice{Value: "error", Allowed: logx.Levels}
	fs.Var(logLevel, "log-level", "the components' log lines (console format, on stderr) at this level and above")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave demo [--broker URL] [--speedup N] [--vehicles N] [flags]")
		fs.PrintDefaults()
	}
	if err := config.Load(fs, args, config.Getenv); err != nil {
		return err
	}
	log, err := logx.New(stderr, logx.FormatConsole, logLevel.Value)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	start := time.Now()
	_, err = demo.Run(ctx, demo.Options{BrokerURL: *brokerURL, TopicRoot: *topicRoot, Speedup: *speedup,
		Vehicles: *vehicles, MapFile: *mapFile, Seed: *seed, Out: stdout, Logger: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo took %.1f s of real time\n", time.Since(start).Seconds())
	return nil
}

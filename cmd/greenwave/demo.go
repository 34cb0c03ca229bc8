package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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
	httpAddr := fs.String("http", demo.DefaultHTTPAddr, "serve the operator page (and /metrics) here; port 0 picks a free one, empty serves none")
	httpToken := fs.String("http-token", "", "token the page needs (required when --http is not loopback; prefer GREENWAVE_HTTP_TOKEN)")
	record := fs.String("record", "", "write the page's event stream to this file (JSON lines) for `greenwave replay`")
	waitPage := fs.Bool("wait-for-page", false, "hold the ambulances until the operator page is open")
	keepPage := fs.Bool("keep-page", false, "keep serving the operator page after the summary, until interrupted")
	logLevel := &config.Choice{Value: "error", Allowed: logx.Levels}
	fs.Var(logLevel, "log-level", "the components' log lines (console format, on stderr) at this level and above")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave demo [--broker URL] [--speedup N] [--vehicles N] [--http ADDR] [--record FILE] [flags]")
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
	opts := demo.Options{BrokerURL: *brokerURL, TopicRoot: *topicRoot, Speedup: *speedup,
		Vehicles: *vehicles, MapFile: *mapFile, Seed: *seed, Out: stdout, Logger: log,
		HTTPAddr: *httpAddr, HTTPToken: *httpToken, WaitForPage: *waitPage, KeepPage: *keepPage}
	if *record != "" {
		if *httpAddr == "" {
			return errors.New("--record keeps the operator page's event stream: it needs --http")
		}
		f, err := os.Create(*record)
		if err != nil {
			return fmt.Errorf("--record: %w", err)
		}
		defer f.Close()
		opts.Record = f
	}
	start := time.Now()
	if _, err = demo.Run(ctx, opts); err != nil {
		return err
	}
	if *record != "" {
		fmt.Fprintf(stdout, "event stream recorded to %s (greenwave replay %s)\n", *record, *record)
	}
	fmt.Fprintf(stdout, "demo took %.1f s of real time\n", time.Since(start).Seconds())
	return nil
}

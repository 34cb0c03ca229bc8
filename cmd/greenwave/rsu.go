package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/internal/config"
	"github.com/greenwave-project/greenwave/internal/logx"
	"github.com/greenwave-project/greenwave/internal/rsu"
	"github.com/greenwave-project/greenwave/signals"
)

func init() {
	register(command{name: "rsu", summary: "simulate the roadside units of every intersection in a map over MQTT", run: runRSU})
}

func runRSU(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rsu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var mq config.MQTT
	mq.Register(fs, "greenwave-rsu")
	mapFile := fs.String("map", "", "map file (GeoJSON, map-format.md): one unit per intersection (required)")
	cycle := fs.Duration("cycle", rsu.DefaultCycle, "cycle length of the units' fixed-time plans (longer where an intersection's stages need it)")
	mainShare := fs.Float64("main-share", rsu.DefaultMainShare, "share of green time given to the main street (NEMA phases 1, 2, 5, 6)")
	spat := fs.Bool("spat", true, "report green_since/green_until and the plan (docs/wire-protocol.md's optional timing facts) in statuses; false: core protocol v1 fields only")
	trusted := config.StringList{defaultControllerID}
	fs.Var(&trusted, "trust-controllers", "comma-separated controller ids whose commands the units obey (and whose presence they follow)")
	unitConns := fs.Bool("unit-connections", true, "one MQTT connection per unit, each with its own Last Will (a retained fault status marked offline); false: one connection for all, and a dead rsu leaves its statuses standing")
	budget := signals.DefaultHoldBudget()
	fs.DurationVar(&budget.Window, "hold-window", budget.Window, "sliding window of each unit's hold budget")
	fs.DurationVar(&budget.Max, "hold-max", budget.Max, "most time a unit holds a preempted green within --hold-window, whatever the request ids")
	logFormat := &config.Choice{Value: logx.FormatJSON, Allowed: logx.Formats}
	fs.Var(logFormat, "log-format", "log format: json or console")
	logLevel := &config.Choice{Value: "info", Allowed: logx.Levels}
	fs.Var(logLevel, "log-level", "least severe level logged: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave rsu --map FILE --broker URL [flags]\n\nEvery flag can also be set as GREENWAVE_<NAME> in the environment or as <name>: in the --config YAML file (flags win).")
		fs.PrintDefaults()
	}
	if err := parseEdgeFlags(fs, args, mapFile); err != nil {
		return err
	}
	if err := mq.Validate(); err != nil {
		return err
	}
	if len(trusted) == 0 {
		return errors.New("--trust-controllers: at least one controller id")
	}
	if err := budget.Validate(); err != nil {
		return fmt.Errorf("--hold-window, --hold-max: %w", err)
	}
	ed, err := openEdge(stderr, logFormat.Value, logLevel.Value, *mapFile, mq.TopicRoot)
	if err != nil {
		return err
	}
	log, net, topics := ed.log, ed.net, ed.topics
	defer func() { _ = log.Sync() }()
	sim, err := rsu.New(net, rsu.Options{Topics: topics, Logger: log, Cycle: *cycle, MainShare: *mainShare, OmitGreenTimes: !*spat,
		TrustedControllers: trusted, HoldBudget: budget, UnitConnections: *unitConns})
	if err != nil {
		return err
	}
	if !*unitConns {
		log.Warn("one connection for every unit (--unit-connections=false): if this process dies, the units' last statuses stay on the broker (hold included) until it is back")
	}
	log.Info("rsu starting", mq.LogBroker(), zap.Int("intersections", len(sim.Intersections())),
		zap.String("map", *mapFile), zap.Strings("trusted_controllers", trusted))
	if err := sim.Serve(ctx, mq.Options(log)); err != nil {
		return err
	}
	log.Info("rsu stopped")
	return nil
}

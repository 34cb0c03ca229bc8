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
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/ntcip"
)

func init() {
	register(command{name: "ntcip", summary: "gateway from greenwave's commands to NTCIP 1202 signal controllers over SNMP", run: runNTCIP})
}

func runNTCIP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ntcip", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var mq config.MQTT
	mq.Register(fs, "")
	controllers := fs.String("controllers", "", "YAML file of the intersections' controllers (docs/ntcip.md) (required)")
	gatewayID := fs.String("gateway-id", ntcip.DefaultGatewayID, "this gateway's id on its presence topic (controllers/{id}/status)")
	trusted := config.StringList{defaultControllerID}
	fs.Var(&trusted, "trust-controllers", "comma-separated controller ids whose commands the gateway carries out (and whose presence it follows)")
	httpAddr := fs.String("http", "127.0.0.1:9091", "address of the /healthz and /metrics endpoint; empty disables it")
	shutdownTimeout := fs.Duration("shutdown-timeout", 5e9, "on SIGINT/SIGTERM, clear every input and wait this long for the broker to take the last statuses")
	logFormat := &config.Choice{Value: logx.FormatJSON, Allowed: logx.Formats}
	fs.Var(logFormat, "log-format", "log format: json or console")
	logLevel := &config.Choice{Value: "info", Allowed: logx.Levels}
	fs.Var(logLevel, "log-level", "least severe level logged: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave ntcip --broker URL --controllers FILE [--gateway-id ID] [flags]\n\n"+
			"Every flag can also be set as GREENWAVE_<NAME> in the environment or as <name>: in the --config YAML file (flags win).")
		fs.PrintDefaults()
	}
	if err := config.Load(fs, args, config.Getenv); err != nil {
		return err
	}
	if *controllers == "" {
		fs.Usage()
		return errors.New("--controllers is required")
	}
	if len(trusted) == 0 {
		return errors.New("--trust-controllers: at least one controller id")
	}
	if mq.ClientID == "" {
		mq.ClientID = "greenwave-ntcip-" + *gatewayID
	}
	if err := mq.Validate(); err != nil {
		return err
	}
	cfg, err := ntcip.LoadConfig(*controllers)
	if err != nil {
		return err
	}
	log, err := logx.New(stderr, logFormat.Value, logLevel.Value)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	topics, _ := mqttx.NewTopics(mq.TopicRoot)
	met := ntcip.NewMetrics()
	gw, err := ntcip.NewGateway(cfg, ntcip.GatewayOptions{Topics: topics, ID: *gatewayID, Logger: log, Metrics: met, ShutdownTimeout: *shutdownTimeout,
		TrustedControllers: trusted})
	if err != nil {
		return err
	}
	if *httpAddr != "" {
		hs, err := metrics.Listen(*httpAddr, metrics.Handler(&metrics.Metrics{Registry: met.Registry}, gw.Healthy))
		if err != nil {
			return fmt.Errorf("--http %s: %w", *httpAddr, err)
		}
		defer hs.Close()
		log.Info("health and metrics endpoint", zap.String("url", "http://"+hs.Addr()+"/metrics"))
	}
	log.Info("ntcip gateway starting", zap.String("gateway_id", *gatewayID), mq.LogBroker(),
		zap.Strings("intersections", gw.Intersections()), zap.Strings("trusted_controllers", trusted))
	if err := gw.Serve(ctx, mq.Options(log)); err != nil {
		return err
	}
	log.Info("ntcip gateway stopped")
	return nil
}

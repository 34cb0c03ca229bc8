package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/audit"
	"github.com/greenwave-project/greenwave/internal/config"
	"github.com/greenwave-project/greenwave/internal/logx"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/registry"
	"github.com/greenwave-project/greenwave/internal/service"
	"github.com/greenwave-project/greenwave/internal/web"
)

func init() {
	register(command{name: "serve", summary: "run the live controller on an MQTT broker", run: runServe})
}

// defaultControllerID names a controller when the city runs only one.
const defaultControllerID = "greenwave"

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var mq config.MQTT
	mq.Register(fs, "")
	mapFile := fs.String("map", "", "map file (GeoJSON, map-format.md) (required)")
	controllerID := fs.String("controller-id", defaultControllerID, "this controller's id in topics and commands")
	httpAddr := fs.String("http", "127.0.0.1:9090", "address of the /healthz and /metrics endpoint; empty disables it")
	auditFile := fs.String("audit", "", "append one JSON line per decision to this file (default: no audit file)")
	auditSync := fs.Duration("audit-sync", audit.DefaultSyncEvery, "fsync the audit file this often (what a crash can lose)")
	auditMaxBytes := fs.Int64("audit-max-bytes", audit.DefaultMaxBytes, "rotate the audit file before it grows past this many bytes")
	auditKeep := fs.Int("audit-keep", audit.DefaultKeep, "rotated audit files kept (FILE.1 newest)")
	vehiclesFile := fs.String("vehicles", "", "vehicle registry (CSV or YAML): only these vehicles are served, with these priorities; reloaded on SIGHUP")
	anyVehicle := fs.Bool("allow-any-vehicle", false, "serve every vehicle id, without a registry: anyone who can publish can preempt (trials and tests only)")
	var svcCfg service.Config
	fs.Float64Var(&svcCfg.VehicleRate, "vehicle-rate", service.DefaultVehicleRate, "messages a second a registered vehicle may send (token bucket)")
	fs.IntVar(&svcCfg.VehicleBurst, "vehicle-burst", service.DefaultVehicleBurst, "burst of messages a registered vehicle may send at once")
	fs.Float64Var(&svcCfg.UnregisteredRate, "unregistered-rate", service.DefaultUnregisteredRate, "with --allow-any-vehicle: messages a second all vehicles together may send")
	fs.DurationVar(&svcCfg.RefusalWindow, "refusal-window", service.DefaultRefusalWindow, "refused inputs are logged and audited summed per kind and reason over this window")
	page := fs.Bool("page", true, "serve the operator page at / of --http (docs/operator-page.md)")
	httpToken := fs.String("http-token", "", "token the operator page needs; required when --http is not loopback (prefer GREENWAVE_HTTP_TOKEN)")
	record := fs.String("record", "", "write the operator page's event stream to this file (JSON lines) for `greenwave replay`")
	logFormat := &config.Choice{Value: logx.FormatJSON, Allowed: logx.Formats}
	fs.Var(logFormat, "log-format", "log format: json or console")
	logLevel := &config.Choice{Value: "info", Allowed: logx.Levels}
	fs.Var(logLevel, "log-level", "least severe level logged: debug, info, warn, error")
	var eng controller.Config
	policy := &config.Choice{Value: string(controller.PolicyGreenWave), Allowed: controller.PolicyNames()}
	fs.Var(policy, "policy", "when to request a preempt: "+strings.Join(controller.PolicyNames(), ", ")+" (greenwave: just in time by ETA; range: within --range-m)")
	fs.DurationVar(&eng.Lease, "lease", controller.DefaultLease, "how far ahead of each (re)send a preempt's expires_at is set")
	fs.DurationVar(&eng.RefreshPeriod, "refresh", controller.DefaultRefreshPeriod, "how often a live preempt is re-sent with a later expires_at")
	fs.DurationVar(&eng.Margin, "margin", controller.DefaultMargin, "added to every lead time for latency and ETA error")
	fs.DurationVar(&eng.SilenceGrace, "silence-grace", controller.DefaultSilenceGrace, "release a vehicle's preempts after this long without a fix")
	fs.Float64Var(&eng.RangeM, "range-m", controller.DefaultRangeM, "trigger distance of the range policy")
	fs.IntVar(&eng.MaxVehicles, "max-vehicles", controller.DefaultMaxVehicles, "most vehicles tracked at once")
	fs.Float64Var(&eng.MaxSpeedMps, "max-speed", controller.DefaultMaxSpeedMps, "refuse a fix implying more than this speed (m/s) from the vehicle's last one")
	fs.Float64Var(&eng.MaxOffRoadM, "max-off-road", controller.DefaultMaxOffRoadM, "refuse a fix farther than this (m) from every road of the map")
	fs.DurationVar(&eng.MaxClockSkew, "max-clock-skew", controller.DefaultMaxClockSkew, "refuse a fix stamped more than this ahead of, or behind, the controller's clock")
	fs.Var(priceFlag{&eng.Price}, "price", "greenwave's price: vehicle-seconds of the other traffic's delay one second of an emergency vehicle's delay is worth, ≥ 0 or inf (default "+formatPrice(controller.DefaultPrice)+"; docs/planner.md)")
	fs.Var(classPricesFlag{&eng.ClassPrices}, "class-prices", "a price per vehicle class, CLASS=PRICE,... (e.g. ambulance=400,fire=1000); a vehicle's class comes from the vehicle registry, and one with none has --price")
	shutdownTimeout := fs.Duration("shutdown-timeout", service.DefaultShutdownTimeout, "on SIGINT/SIGTERM, wait this long for the broker to take the releases and the offline status")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave serve --map FILE --broker URL --vehicles FILE [--controller-id ID] [--topic-root ROOT] [--config FILE] [flags]\n\n"+
			"Every flag can also be set as GREENWAVE_<NAME> in the environment or as <name>: in the --config YAML file (flags win).")
		fs.PrintDefaults()
	}
	if err := parseEdgeFlags(fs, args, mapFile); err != nil {
		return err
	}
	if mq.ClientID == "" {
		mq.ClientID = "greenwave-serve-" + *controllerID
	}
	if err := mq.Validate(); err != nil {
		return err
	}
	withPage := *httpAddr != "" && *page
	if withPage {
		if err := web.CheckExposure(*httpAddr, *httpToken); err != nil {
			return fmt.Errorf("%w (or --page=false to serve only /metrics and /healthz)", err)
		}
	} else if *record != "" {
		return errors.New("--record keeps the operator page's event stream: it needs --http and --page")
	}
	eng.ControllerID = *controllerID
	eng.Policy = controller.Policy(policy.Value)
	if (*vehiclesFile == "") == !*anyVehicle {
		fs.Usage()
		return errors.New("--vehicles FILE is required (the vehicles allowed to preempt); --allow-any-vehicle serves every id instead, for trials")
	}

	ed, err := openEdge(stderr, logFormat.Value, logLevel.Value, *mapFile, mq.TopicRoot)
	if err != nil {
		return err
	}
	log, net, topics := ed.log, ed.net, ed.topics
	defer func() { _ = log.Sync() }()
	cfg := svcCfg
	cfg.Topics, cfg.Engine, cfg.Logger, cfg.Metrics, cfg.ShutdownTimeout = topics, eng, log, metrics.New(), *shutdownTimeout
	loadRegistry := func() (*registry.Registry, error) {
		reg, err := registry.Load(*vehiclesFile)
		if err != nil {
			return nil, err
		}
		// Under the shipped ACL's patterns a broker user named like an
		// intersection or this controller could write its topics.
		names := map[string]string{*controllerID: "this controller's id"}
		for i := range net.Intersections() {
			names[net.Intersection(int32(i)).ID] = "an intersection of the map"
		}
		return reg, reg.CheckNames(names)
	}
	if *vehiclesFile != "" {
		if cfg.Registry, err = loadRegistry(); err != nil {
			return err
		}
		log.Info("vehicle registry loaded", zap.String("file", *vehiclesFile), zap.Int("vehicles", cfg.Registry.Len()))
	} else {
		log.Warn("no vehicle registry (--allow-any-vehicle): every vehicle id is served, so anyone who can publish a position can preempt a signal; for trials and tests only")
	}
	if *auditFile != "" {
		f, err := audit.Open(*auditFile, audit.Options{SyncEvery: *auditSync, MaxBytes: *auditMaxBytes, Keep: *auditKeep,
			OnError: func(err error) { log.Error("audit trail", zap.Error(err)) }})
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.Audit = f
	}
	var hub *web.Hub
	if withPage {
		wo := web.Options{Network: net, MapName: *mapFile, Logger: log.Named("web")}
		if *record != "" {
			f, err := os.Create(*record)
			if err != nil {
				return fmt.Errorf("--record: %w", err)
			}
			defer f.Close()
			wo.Record = f
		}
		if hub, err = web.New(wo); err != nil {
			return err
		}
		if err := hub.Metrics().Register(cfg.Metrics.Registry); err != nil {
			return err
		}
		cfg.Observer = hub
	}
	svc, err := service.New(net, cfg)
	if err != nil {
		return err
	}
	if *vehiclesFile != "" {
		stopReload := reloadOnHangup(ctx, log, *vehiclesFile, loadRegistry, svc)
		defer stopReload()
	}
	if *httpAddr != "" {
		h := metrics.Handler(cfg.Metrics, svc.Healthy)
		if hub != nil {
			h = web.Handler(hub, *httpToken, h)
		}
		hs, err := listenPage(*httpAddr, h)
		if err != nil {
			return err
		}
		log.Info("health and metrics endpoint", zap.String("url", "http://"+hs.Addr()+"/metrics"))
		if hub != nil {
			// The hub stops after the service (its shutdown's releases
			// are shown and recorded), and the server after the hub,
			// whose end closes the pages' streams.
			hubCtx, stopHub := context.WithCancel(context.Background())
			hubDone := make(chan struct{})
			go func() { defer close(hubDone); hub.Run(hubCtx) }()
			defer func() { stopHub(); <-hubDone; _ = hs.Close() }()
			log.Info("operator page", zap.String("url", "http://"+hs.Addr()+"/"), zap.Bool("token", *httpToken != ""))
		} else {
			defer hs.Close()
		}
	}
	log.Info("serve starting", zap.String("controller_id", *controllerID), mq.LogBroker(),
		zap.String("topic_root", mq.TopicRoot), zap.String("map", *mapFile), zap.Int("intersections", len(net.Intersections())))
	if err := svc.Serve(ctx, mq.Options(log)); err != nil {
		return err
	}
	log.Info("serve stopped")
	return nil
}

// reloadOnHangup reloads the vehicle registry on every SIGHUP until ctx
// ends (or the returned stop is called). A file that fails to load or
// validate leaves the running registry in place, with an error logged.
func reloadOnHangup(ctx context.Context, log *zap.Logger, file string, load func() (*registry.Registry, error), svc *service.Service) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
			}
			reg, err := load()
			if err == nil {
				err = svc.SetRegistry(ctx, reg)
			}
			if err != nil {
				log.Error("vehicle registry not reloaded; the previous one stays in force", zap.String("file", file), zap.Error(err))
				continue
			}
			log.Info("vehicle registry reloaded", zap.String("file", file), zap.Int("vehicles", reg.Len()))
		}
	}()
	return func() { signal.Stop(hup); cancel(); <-done }
}

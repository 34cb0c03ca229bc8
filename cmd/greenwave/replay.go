package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/web"
)

func init() {
	register(command{name: "replay", summary: "play a recorded event stream (demo/serve --record) back on the operator page", run: runReplay})
}

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	speed := fs.Float64("speed", 0, "clock seconds per real second (default: the rate it was recorded at)")
	httpAddr := fs.String("http", "127.0.0.1:8090", "serve the operator page here; port 0 picks a free one")
	httpToken := fs.String("http-token", "", "token the page needs (required when --http is not loopback; prefer GREENWAVE_HTTP_TOKEN)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave replay FILE [--speed N] [--http ADDR] [--http-token TOKEN]")
		fs.PrintDefaults()
	}
	file, err := parseOneArg(fs, args)
	if err != nil {
		return err
	}
	if *httpToken == "" {
		*httpToken = os.Getenv("GREENWAVE_HTTP_TOKEN")
	}
	if err := web.CheckExposure(*httpAddr, *httpToken); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	rec, err := web.OpenRecording(f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if *speed == 0 {
		*speed = rec.Header.Rate
	}
	if !(*speed > 0 && *speed <= 10000) {
		return fmt.Errorf("--speed must be in (0, 10000], got %v", *speed)
	}
	clk := clock.NewScaled(time.UnixMilli(rec.Header.Start), *speed)
	hub, err := web.New(web.Options{Map: rec.Header.Map, Clock: clk, Rate: *speed, Replay: true})
	if err != nil {
		return err
	}
	srv, err := listenPage(*httpAddr, web.Handler(hub, *httpToken, nil))
	if err != nil {
		return err
	}
	hubCtx, stopHub := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); hub.Run(hubCtx) }()
	defer func() {
		stopHub()
		<-hubDone
		_ = srv.Close()
	}()
	fmt.Fprintf(stdout, "replaying %s (%s) at %gx: operator page at http://%s/\n", file, rec.Header.Map.Name, *speed, srv.Addr())
	if err := web.Play(ctx, rec, hub, clk); err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintln(stdout, "end of the recording; the page stays up until interrupted (Ctrl-C)")
	<-ctx.Done()
	return nil
}

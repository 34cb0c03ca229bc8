package main

import (
	"errors"
	"flag"
	"io"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/internal/config"
	"github.com/greenwave-project/greenwave/internal/logx"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/routing"
)

// edge is what every MQTT-facing command starts from: its logger, the
// city's map, and the topic tree under the configured root.
type edge struct {
	log    *zap.Logger
	net    *routing.Network
	topics mqttx.Topics
}

// openEdge builds the logger first, so that a map that fails to load is
// reported in the format the operator asked for. The caller syncs the
// logger when done.
func openEdge(stderr io.Writer, logFormat, logLevel, mapFile, topicRoot string) (edge, error) {
	log, err := logx.New(stderr, logFormat, logLevel)
	if err != nil {
		return edge{}, err
	}
	net, err := routing.LoadMapFile(mapFile)
	if err != nil {
		_ = log.Sync()
		return edge{}, err
	}
	// The root was validated with the rest of the MQTT settings.
	topics, _ := mqttx.NewTopics(topicRoot)
	return edge{log: log, net: net, topics: topics}, nil
}

// parseEdgeFlags loads the flags of an MQTT-facing command (flags, then
// GREENWAVE_* environment, then --config file) and insists on the map,
// which neither serve nor rsu can run without.
func parseEdgeFlags(fs *flag.FlagSet, args []string, mapFile *string) error {
	if err := config.Load(fs, args, config.Getenv); err != nil {
		return err
	}
	if *mapFile == "" {
		fs.Usage()
		return errors.New("--map is required")
	}
	return nil
}

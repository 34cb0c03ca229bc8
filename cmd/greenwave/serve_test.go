package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/registry"
	"github.com/greenwave-project/greenwave/internal/service"
	"github.com/greenwave-project/greenwave/routing"
)

// serve does not start without a vehicle registry unless told to serve
// every vehicle, and refuses a registry that names a vehicle like an
// intersection of its map or like itself (the broker's ACL patterns key
// on those names). Each fails before any connection is attempted.
func TestServeNeedsASafeRegistry(t *testing.T) {
	mapFile := writeRouteTestMap(t)
	dir := t.TempDir()
	fleet := func(name, csv string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(csv), 0o600))
		return path
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no registry", []string{"--map", mapFile}, "--vehicles FILE is required"},
		{"both", []string{"--map", mapFile, "--vehicles", fleet("a.csv", "vehicle_id\namb-1\n"), "--allow-any-vehicle"}, "--vehicles FILE is required"},
		{"a vehicle named like an intersection", []string{"--map", mapFile, "--vehicles", fleet("b.csv", "vehicle_id\nI-1\n")}, "an intersection of the map"},
		{"a vehicle named like the controller", []string{"--map", mapFile, "--vehicles", fleet("c.csv", "vehicle_id\ngreenwave\n")}, "this controller's id"},
		{"a bad registry", []string{"--map", mapFile, "--vehicles", fleet("d.csv", "vehicle_id,priority\namb-1,0.5\n")}, "priority"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // were it to get as far as the broker, it would stop at once
			err := runServe(ctx, append(tt.args, "--http", "", "--broker", "tcp://127.0.0.1:1"), &bytes.Buffer{}, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// fakeClient is a broker connection that takes everything.
type fakeClient struct{}

func (fakeClient) Publish(context.Context, mqttx.Message) error { return nil }
func (fakeClient) PublishNoWait(mqttx.Message) error            { return nil }
func (fakeClient) Connected() bool                              { return true }

// SIGHUP reloads the registry; a file that does not load leaves the
// running one in force, with an error logged.
func TestRegistryReloadsOnHangup(t *testing.T) {
	net, err := routing.LoadMapFile(writeRouteTestMap(t))
	require.NoError(t, err)
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	core, logs := observer.New(zapcore.InfoLevel)
	svc, err := service.New(net, service.Config{Topics: topics, Engine: controller.Config{ControllerID: "cc-1"}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, fakeClient{}) }()
	defer func() { cancel(); <-done }()

	path := filepath.Join(t.TempDir(), "fleet.csv")
	load := func() (*registry.Registry, error) { return registry.Load(path) }
	stop := reloadOnHangup(ctx, zap.New(core), path, load, svc)
	defer stop()

	hangup := func(want string) {
		t.Helper()
		before := logs.FilterMessageSnippet(want).Len()
		require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
		require.Eventually(t, func() bool { return logs.FilterMessageSnippet(want).Len() > before }, 5*time.Second, 5*time.Millisecond)
	}
	require.NoError(t, os.WriteFile(path, []byte("vehicle_id\namb-1\namb-2\n"), 0o600))
	hangup("vehicle registry reloaded")
	assert.Equal(t, int64(2), logs.FilterMessageSnippet("vehicle registry reloaded").All()[0].ContextMap()["vehicles"])
	require.NoError(t, os.WriteFile(path, []byte("vehicle_id\namb 1\n"), 0o600))
	hangup("not reloaded")
}

package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type settings struct {
	broker string
	id     string
	lease  time.Duration
	debug  bool
}

func newFlags(s *settings) *flag.FlagSet {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&s.broker, "broker", "tcp://default:1883", "")
	fs.StringVar(&s.id, "controller-id", "cc-1", "")
	fs.DurationVar(&s.lease, "lease", 20*time.Second, "")
	fs.BoolVar(&s.debug, "debug", false, "")
	return fs
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "greenwave.yaml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func TestDefaultsWhenNothingIsGiven(t *testing.T) {
	var s settings
	require.NoError(t, Load(newFlags(&s), nil, env(nil)))
	assert.Equal(t, settings{broker: "tcp://default:1883", id: "cc-1", lease: 20 * time.Second}, s)
}

func TestPrecedenceFlagsOverEnvOverFile(t *testing.T) {
	file := writeFile(t, "broker: tcp://file:1\ncontroller_id: from-file\nlease: 7s\ndebug: true\n")
	var s settings
	err := Load(newFlags(&s),
		[]string{"--config", file, "--broker", "tcp://flag:1"},
		env(map[string]string{"GREENWAVE_BROKER": "tcp://env:1", "GREENWAVE_CONTROLLER_ID": "from-env"}))
	require.NoError(t, err)
	assert.Equal(t, "tcp://flag:1", s.broker, "flag beats env and file")
	assert.Equal(t, "from-env", s.id, "env beats file")
	assert.Equal(t, 7*time.Second, s.lease, "file beats default")
	assert.True(t, s.debug)
}

func TestConfigFileFromEnv(t *testing.T) {
	file := writeFile(t, "lease: 3s\n")
	var s settings
	require.NoError(t, Load(newFlags(&s), nil, env(map[string]string{"GREENWAVE_CONFIG": file})))
	assert.Equal(t, 3*time.Second, s.lease)
}

func TestEmptyEnvIsUnset(t *testing.T) {
	var s settings
	require.NoError(t, Load(newFlags(&s), nil, env(map[string]string{"GREENWAVE_BROKER": ""})))
	assert.Equal(t, "tcp://default:1883", s.broker)
}

func TestErrorsNameTheSetting(t *testing.T) {
	var s settings
	err := Load(newFlags(&s), []string{"--config", writeFile(t, "brokr: tcp://x:1\n")}, env(nil))
	assert.ErrorContains(t, err, `unknown setting "brokr"`)

	err = Load(newFlags(&s), []string{"--config", writeFile(t, "lease: soon\n")}, env(nil))
	assert.ErrorContains(t, err, "lease")

	err = Load(newFlags(&s), nil, env(map[string]string{"GREENWAVE_LEASE": "soon"}))
	assert.ErrorContains(t, err, "GREENWAVE_LEASE")

	err = Load(newFlags(&s), []string{"--config", writeFile(t, "broker: [a, b]\n")}, env(nil))
	assert.ErrorContains(t, err, "single value")

	err = Load(newFlags(&s), []string{"--config", filepath.Join(t.TempDir(), "none.yaml")}, env(nil))
	assert.Error(t, err)

	err = Load(newFlags(&s), []string{"stray"}, env(nil))
	assert.ErrorContains(t, err, "stray")
}

func TestEnvName(t *testing.T) {
	assert.Equal(t, "GREENWAVE_CONTROLLER_ID", EnvName("controller-id"))
	assert.Equal(t, "GREENWAVE_TLS_CA", EnvName("tls-ca"))
}

func TestMQTTValidate(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var m MQTT
	m.Register(fs, "greenwave-test")
	require.NoError(t, Load(fs, nil, env(nil)))
	assert.Equal(t, DefaultBroker, m.Broker)
	assert.NoError(t, m.Validate())
	m.Broker = "localhost:1883"
	assert.Error(t, m.Validate())
	m.Broker = DefaultBroker
	m.TopicRoot = "a/+"
	assert.Error(t, m.Validate())
}

func TestChoice(t *testing.T) {
	c := Choice{Value: "json", Allowed: []string{"json", "console"}}
	require.NoError(t, c.Set("console"))
	assert.Equal(t, "console", c.String())
	assert.Error(t, c.Set("xml"))
	assert.Equal(t, "console", c.String())
}

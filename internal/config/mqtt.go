package config

import (
	"flag"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/internal/mqttx"
)

// DefaultBroker is the broker every command dials unless told otherwise: a
// local Mosquitto on its standard port.
const DefaultBroker = "tcp://127.0.0.1:1883"

// MQTT holds the broker connection settings shared by serve and rsu.
type MQTT struct {
	Broker         string
	TopicRoot      string
	ClientID       string
	Username       string
	Password       string
	CAFile         string
	CertFile       string
	KeyFile        string
	Insecure       bool
	KeepAlive      time.Duration
	ConnectTimeout time.Duration
	ReconnectMax   time.Duration
}

// Register adds the connection flags to fs, with their defaults.
// defaultClientID is the command's own (client ids must be unique on a
// broker, so serve and rsu default to different ones).
func (m *MQTT) Register(fs *flag.FlagSet, defaultClientID string) {
	fs.StringVar(&m.Broker, "broker", DefaultBroker, "broker URL: tcp://host:port, ssl://host:port (TLS) or ws://host:port/path")
	fs.StringVar(&m.TopicRoot, "topic-root", mqttx.DefaultRoot, "first level(s) of every topic (ROOT/v1/...)")
	fs.StringVar(&m.ClientID, "client-id", defaultClientID, "MQTT client id; must be unique on the broker")
	fs.StringVar(&m.Username, "username", "", "broker user name")
	fs.StringVar(&m.Password, "password", "", "broker password (prefer "+EnvName("password")+" to the command line)")
	fs.StringVar(&m.CAFile, "tls-ca", "", "PEM CA bundle to verify an ssl:// broker with (default: system roots)")
	fs.StringVar(&m.CertFile, "tls-cert", "", "PEM client certificate for mutual TLS (with --tls-key)")
	fs.StringVar(&m.KeyFile, "tls-key", "", "PEM client private key for mutual TLS")
	fs.BoolVar(&m.Insecure, "tls-insecure", false, "accept any broker certificate (testing only)")
	fs.DurationVar(&m.KeepAlive, "keepalive", mqttx.DefaultKeepAlive, "MQTT keep-alive: how soon a dead connection is noticed (by both sides; the Last Will fires after 1.5x)")
	fs.DurationVar(&m.ConnectTimeout, "connect-timeout", mqttx.DefaultConnectTimeout, "give up one connection attempt after this long")
	fs.DurationVar(&m.ReconnectMax, "reconnect-max", mqttx.DefaultMaxReconnectInterval, "cap of the exponential reconnect backoff")
}

// Options turns the settings into client options (without will,
// subscriptions or callbacks, which belong to the command).
func (m MQTT) Options(log *zap.Logger) mqttx.Options {
	return mqttx.Options{
		BrokerURL:            m.Broker,
		ClientID:             m.ClientID,
		Username:             m.Username,
		Password:             m.Password,
		CAFile:               m.CAFile,
		CertFile:             m.CertFile,
		KeyFile:              m.KeyFile,
		InsecureSkipVerify:   m.Insecure,
		KeepAlive:            m.KeepAlive,
		ConnectTimeout:       m.ConnectTimeout,
		MaxReconnectInterval: m.ReconnectMax,
		Logger:               log,
	}
}

// LogBroker is the broker URL as a log field, its password (if the URL
// carries one) redacted: every command logs where it connects, and none
// may log a secret.
func (m MQTT) LogBroker() zap.Field { return zap.String("broker", mqttx.RedactURL(m.Broker)) }

// Validate checks what can be checked before dialling.
func (m MQTT) Validate() error {
	if err := mqttx.ValidateBrokerURL(m.Broker); err != nil {
		return err
	}
	if _, err := mqttx.NewTopics(m.TopicRoot); err != nil {
		return err
	}
	_, err := mqttx.TLSConfig(m.Options(nil))
	return err
}

package broker

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Options configures an embedded broker. The zero value is usable.
type Options struct {
	// Addr is the MQTT-over-TCP listen address. Empty means 127.0.0.1:0 (a
	// free port chosen by the kernel). Its host must be a loopback address.
	Addr string
	// WebSocketAddr, when set, adds an MQTT-over-WebSocket listener (ws://)
	// on that loopback address. The port must be given: the WebSocket
	// listener cannot report a kernel-chosen one.
	WebSocketAddr string
	// Logger receives the broker's own log lines; nil discards them, since
	// the demo's output is meant for people, not for broker internals.
	Logger *slog.Logger
}

// Broker is a running embedded broker.
type Broker struct {
	srv    *mqtt.Server
	tcp    *listeners.TCP
	wsAddr string
}

// Start starts a broker listening on loopback.
func Start(opts Options) (*Broker, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if err := requireLoopback(opts.Addr); err != nil {
		return nil, err
	}
	if opts.WebSocketAddr != "" {
		if err := requireLoopback(opts.WebSocketAddr); err != nil {
			return nil, err
		}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv := mqtt.New(&mqtt.Options{Logger: logger, InlineClient: false})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{Type: listeners.TypeTCP, ID: "tcp", Address: opts.Addr})
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", opts.Addr, err)
	}
	b := &Broker{srv: srv, tcp: tcp}
	if opts.WebSocketAddr != "" {
		ws := listeners.NewWebsocket(listeners.Config{Type: listeners.TypeWS, ID: "ws", Address: opts.WebSocketAddr})
		if err := srv.AddListener(ws); err != nil {
			_ = srv.Close()
			return nil, fmt.Errorf("broker: websocket listener on %s: %w", opts.WebSocketAddr, err)
		}
		b.wsAddr = opts.WebSocketAddr
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	return b, nil
}

// Addr is the host:port the broker accepts MQTT over TCP on.
func (b *Broker) Addr() string { return b.tcp.Address() }

// URL is the broker's address as a client broker URL (tcp://host:port).
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// WebSocketURL is the ws:// URL of the WebSocket listener, or "" when
// there is none.
func (b *Broker) WebSocketURL() string {
	if b.wsAddr == "" {
		return ""
	}
	return "ws://" + b.wsAddr + "/"
}

// Close disconnects every client (their Last Wills are published, as with
// any broker that drops a connection) and stops listening.
func (b *Broker) Close() error { return b.srv.Close() }

// requireLoopback refuses an address whose host is not a loopback IP or
// "localhost": the embedded broker lets anyone publish anything.
func requireLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("broker: address %q: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("broker: address %q: bad port", addr)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return errors.New("broker: the embedded broker accepts anonymous clients, so it only binds to loopback; got " + strconv.Quote(addr))
	}
	return nil
}

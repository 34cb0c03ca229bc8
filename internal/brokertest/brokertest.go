package brokertest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/internal/broker"
)

// Broker is a running broker a test can take away and bring back.
type Broker interface {
	// Name is "embedded" or "mosquitto", used as the subtest name.
	Name() string
	// URL is the tcp:// URL clients dial; it stays the same across restarts.
	URL() string
	// Stop stops the broker; its clients see their connections drop.
	Stop(tb testing.TB)
	// Start starts it again on the same address after Stop.
	Start(tb testing.TB)
}

// Each runs fn as one subtest per broker: the embedded broker, then
// Mosquitto (skipped, saying why, when it is not installed). The same test
// body against two brokers catches code that works only with one broker's
// quirks.
func Each(t *testing.T, fn func(t *testing.T, b Broker)) {
	t.Run("embedded", func(t *testing.T) { fn(t, Embedded(t)) })
	t.Run("mosquitto", func(t *testing.T) { fn(t, Mosquitto(t)) })
}

// FreeLoopbackAddr returns a 127.0.0.1 address with a port that was free a
// moment ago.
func FreeLoopbackAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("brokertest: no free loopback port: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// Embedded starts the embedded broker on a free loopback port, stopped at
// the end of the test.
func Embedded(tb testing.TB) Broker {
	tb.Helper()
	b, err := broker.Start(broker.Options{})
	if err != nil {
		tb.Fatalf("brokertest: %v", err)
	}
	e := &embedded{addr: b.Addr(), b: b}
	tb.Cleanup(func() { e.stop() })
	return e
}

type embedded struct {
	mu   sync.Mutex
	addr string
	b    *broker.Broker
}

func (e *embedded) Name() string { return "embedded" }
func (e *embedded) URL() string  { return "tcp://" + e.addr }

func (e *embedded) Stop(tb testing.TB) { tb.Helper(); e.stop() }

func (e *embedded) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.b != nil {
		_ = e.b.Close()
		e.b = nil
	}
}

func (e *embedded) Start(tb testing.TB) {
	tb.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.b != nil {
		return
	}
	// The old listener's port can take a moment to be reusable.
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := broker.Start(broker.Options{Addr: e.addr})
		if err == nil {
			e.b = b
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("brokertest: restart embedded broker on %s: %v", e.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// MosquittoPath finds the mosquitto binary: $GREENWAVE_MOSQUITTO, then
// $PATH, then /usr/sbin/mosquitto (Debian installs it there, outside a
// normal user's PATH).
func MosquittoPath() (string, error) {
	if p := os.Getenv("GREENWAVE_MOSQUITTO"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto", nil
	}
	return "", errors.New("mosquitto not installed (apt-get install -y mosquitto, or set GREENWAVE_MOSQUITTO); the same test runs against the embedded broker")
}

// Mosquitto starts Mosquitto on a free loopback port with anonymous access
// and no persistence, stopped at the end of the test. It skips the test
// when Mosquitto is not installed, unless GREENWAVE_REQUIRE_MOSQUITTO is
// set (CI sets it), where a missing broker fails the test instead of
// quietly halving what was checked.
func Mosquitto(tb testing.TB) Broker {
	tb.Helper()
	path, err := MosquittoPath()
	if err != nil {
		if os.Getenv("GREENWAVE_REQUIRE_MOSQUITTO") != "" {
			tb.Fatal(err.Error() + " (GREENWAVE_REQUIRE_MOSQUITTO is set)")
		}
		tb.Skip(err.Error())
	}
	dir := tb.TempDir()
	addr := FreeLoopbackAddr(tb)
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(dir, "mosquitto.conf")
	// persistence false: a restart forgets retained messages and sessions,
	// the harshest restart a client must survive. set_tcp_nodelay: without
	// it Nagle's algorithm meets the client's delayed ACK and a lone
	// command waits ~40 ms (docs/live-benchmarks.md); production brokers
	// should set it too.
	text := "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nset_tcp_nodelay true\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		tb.Fatalf("brokertest: %v", err)
	}
	m := &mosquitto{path: path, conf: conf, addr: addr}
	m.Start(tb)
	tb.Cleanup(m.stop)
	return m
}

type mosquitto struct {
	path, conf, addr string

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
}

func (m *mosquitto) Name() string { return "mosquitto" }
func (m *mosquitto) URL() string  { return "tcp://" + m.addr }

func (m *mosquitto) Start(tb testing.TB) {
	tb.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := m.startOnce()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("brokertest: mosquitto on %s: %v\n%s", m.addr, err, m.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startOnce launches mosquitto and waits until it accepts connections; an
// early exit (the port not yet reusable) is reported for a retry.
func (m *mosquitto) startOnce() error {
	m.out.Reset()
	cmd := exec.Command(m.path, "-c", m.conf)
	cmd.Stdout = &lockedWriter{w: &m.out}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	for range 200 {
		select {
		case <-done:
			return fmt.Errorf("mosquitto exited at start-up (exit %v)", cmd.ProcessState)
		default:
		}
		conn, err := net.DialTimeout("tcp", m.addr, 100*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			m.cmd, m.done = cmd, done
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-done
	return errors.New("mosquitto did not accept connections within 2 s")
}

func (m *mosquitto) Stop(tb testing.TB) { tb.Helper(); m.stop() }

func (m *mosquitto) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.done
	m.cmd, m.done = nil, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

package mqttx_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/mqttx"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"tcp://user:s3cret@broker:1883": "tcp://user:xxxxx@broker:1883",
		"ssl://broker.city:8883":        "ssl://broker.city:8883",
		"tcp://user@broker:1883":        "tcp://user@broker:1883",
		"tcp://u:p%zz@broker:1883":      "tcp://xxxxx@broker:1883",
		"tcp://u:s3cret@[broker":        "tcp://xxxxx@[broker",
	} {
		got := mqttx.RedactURL(in)
		assert.Equal(t, want, got, in)
		assert.NotContains(t, got, "s3cret")
	}
	err := mqttx.ValidateBrokerURL("http://user:s3cret@broker:1883")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret", "a refused URL's message redacts its password")
}

func TestWarnings(t *testing.T) {
	none := mqttx.Warnings(mqttx.Options{BrokerURL: "ssl://b:8883", Username: "cc-1", Password: "p"})
	assert.Empty(t, none, "a password over TLS is fine")
	w := mqttx.Warnings(mqttx.Options{BrokerURL: "tcp://b:1883", Username: "cc-1", Password: "p"})
	require.Len(t, w, 1)
	assert.Contains(t, w[0], "in the clear")
	w = mqttx.Warnings(mqttx.Options{BrokerURL: "ws://cc-1:p@b:8080/mqtt"})
	require.Len(t, w, 1, "a password in the URL counts too")
	w = mqttx.Warnings(mqttx.Options{BrokerURL: "ssl://b:8883", InsecureSkipVerify: true})
	require.Len(t, w, 1)
	assert.Contains(t, w[0], "--tls-insecure")
}

// failingConnect connects to url until the first failed attempt has been
// reported, and returns the cause reported, the error-level log lines,
// and the error Connect returned when given up on.
func failingConnect(t *testing.T, opts mqttx.Options) (string, []observer.LoggedEntry, error) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	var mu sync.Mutex
	var causes []string
	opts.ClientID = "failing"
	opts.Logger = zap.New(core)
	opts.ConnectTimeout = 2 * time.Second
	opts.MaxReconnectInterval = 100 * time.Millisecond
	opts.OnConnectFailed = func(cause string, _ error) {
		mu.Lock()
		causes = append(causes, cause)
		mu.Unlock()
	}
	// About ten attempts, 100 ms apart.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := mqttx.Connect(ctx, opts)
	require.Error(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, causes, "OnConnectFailed ran")
	return causes[0], logs.FilterLevelExact(zapcore.ErrorLevel).AllUntimed(), err
}

// checkLogged asserts one error line with cause, and the broker's URL
// without its password.
func checkLogged(t *testing.T, entries []observer.LoggedEntry, cause string) {
	t.Helper()
	require.NotEmpty(t, entries, "the failure is logged at error level")
	fields := entries[0].ContextMap()
	assert.Equal(t, cause, fields["cause"])
	assert.NotContains(t, fields["broker"], "s3cret")
	assert.Less(t, len(entries), 4, "retries are not logged one by one")
}

func TestConnectFailureRefused(t *testing.T) {
	addr := brokertest.FreeLoopbackAddr(t)
	cause, logs, err := failingConnect(t, mqttx.Options{BrokerURL: "tcp://u:s3cret@" + addr})
	assert.Equal(t, mqttx.CauseRefused, cause)
	checkLogged(t, logs, mqttx.CauseRefused)
	assert.Contains(t, err.Error(), "last attempt: refused", "a caller that gives up says why")
	assert.NotContains(t, err.Error(), "s3cret")
}

func TestConnectFailureTLSVerify(t *testing.T) {
	pki := brokertest.NewPKI(t, "other-ca")
	l, err := tls.Listen("tcp", "127.0.0.1:0", pki.TLSConfig(pki.Server("broker")))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go acceptAndHandshake(l)
	// The client trusts a different CA than the one that signed the broker.
	mine := brokertest.NewPKI(t, "my-ca")
	cause, logs, _ := failingConnect(t, mqttx.Options{BrokerURL: "ssl://" + l.Addr().String(), CAFile: mine.CAFile})
	assert.Equal(t, mqttx.CauseTLSVerify, cause)
	checkLogged(t, logs, mqttx.CauseTLSVerify)
}

func acceptAndHandshake(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.(*tls.Conn).Handshake()
			_, _ = io.Copy(io.Discard, c)
		}()
	}
}

// A broker that answers every CONNECT with "bad user name or password".
func TestConnectFailureBadCredentials(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 512)
				if _, err := c.Read(buf); err != nil {
					return
				}
				_, _ = c.Write([]byte{0x20, 0x02, 0x00, 0x04}) // CONNACK, return code 4
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	cause, logs, _ := failingConnect(t, mqttx.Options{BrokerURL: "tcp://" + l.Addr().String(), Username: "amb-1", Password: "wrong"})
	assert.Equal(t, mqttx.CauseBadCredentials, cause)
	checkLogged(t, logs, mqttx.CauseBadCredentials)
	assert.True(t, strings.Contains(logs[0].ContextMap()["hint"].(string), "password"))
}

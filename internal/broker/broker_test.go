package broker

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartsOnFreeLoopbackPort(t *testing.T) {
	b, err := Start(Options{})
	require.NoError(t, err)
	defer func() { _ = b.Close() }()
	host, port, err := net.SplitHostPort(b.Addr())
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", host)
	assert.NotEqual(t, "0", port)
	conn, err := net.Dial("tcp", b.Addr())
	require.NoError(t, err)
	_ = conn.Close()
	assert.Equal(t, "tcp://"+b.Addr(), b.URL())
	assert.Empty(t, b.WebSocketURL())
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:1883", "example.com:1883"} {
		_, err := Start(Options{Addr: addr})
		assert.Error(t, err, addr)
	}
	_, err := Start(Options{WebSocketAddr: "0.0.0.0:8080"})
	assert.Error(t, err)
	_, err = Start(Options{Addr: "127.0.0.1"})
	assert.Error(t, err, "missing port")
}

package mqttx_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/broker"
	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/mqttx"
)

const wait = 5 * time.Second

// inbox collects the messages a handler receives.
type inbox chan mqttx.Message

func (in inbox) handler(topic string, payload []byte) {
	in <- mqttx.Message{Topic: topic, Payload: append([]byte(nil), payload...)}
}

func (in inbox) next(t *testing.T) mqttx.Message {
	t.Helper()
	select {
	case m := <-in:
		return m
	case <-time.After(wait):
		t.Fatal("no message within", wait)
		return mqttx.Message{}
	}
}

func connect(t *testing.T, url, id string, mod func(*mqttx.Options)) *mqttx.Client {
	t.Helper()
	opts := mqttx.Options{BrokerURL: url, ClientID: id, MaxReconnectInterval: 200 * time.Millisecond, ConnectTimeout: time.Second, PublishTimeout: 2 * time.Second}
	if mod != nil {
		mod(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := mqttx.Connect(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

func TestPublishSubscribe(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		got := make(inbox, 10)
		connect(t, b.URL(), "sub", func(o *mqttx.Options) {
			o.Subscriptions = []mqttx.Subscription{{Filter: "t/+/x", QoS: 1, Handler: got.handler}}
		})
		pub := connect(t, b.URL(), "pub", nil)
		require.NoError(t, pub.Publish(context.Background(), mqttx.Message{Topic: "t/a/x", Payload: []byte("hello"), QoS: 1}))
		m := got.next(t)
		assert.Equal(t, "t/a/x", m.Topic)
		assert.Equal(t, "hello", string(m.Payload))
	})
}

// A subscription made at connect gets the retained messages, which is how a
// starting controller picks up routes and signal statuses.
func TestRetainedDeliveredOnConnect(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		pub := connect(t, b.URL(), "pub", nil)
		require.NoError(t, pub.Publish(context.Background(), mqttx.Message{Topic: "r/1", Payload: []byte("kept"), QoS: 1, Retained: true}))
		got := make(inbox, 10)
		connect(t, b.URL(), "late", func(o *mqttx.Options) {
			o.Subscriptions = []mqttx.Subscription{{Filter: "r/#", QoS: 1, Handler: got.handler}}
		})
		assert.Equal(t, "kept", string(got.next(t).Payload))
		// A later live message proves the subscription works. mochi acks a
		// publish before fanning it out, so a subscriber that arrives in
		// between gets the retained copy and the live one: receivers must
		// treat a repeated retained message as a no-op (MQTT allows it).
		require.NoError(t, pub.Publish(context.Background(), mqttx.Message{Topic: "r/1", Payload: []byte("live"), QoS: 1}))
		for {
			m := got.next(t)
			if string(m.Payload) == "live" {
				break
			}
			require.Equal(t, "kept", string(m.Payload))
		}
	})
}

// The Last Will reaches subscribers when a client vanishes without a
// DISCONNECT, retained, so a roadside unit connecting later still learns
// the controller is gone.
func TestLastWillOnDroppedConnection(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		addr := b.URL()[len("tcp://"):]
		proxy := brokertest.NewProxy(t, addr)
		connect(t, proxy.URL(), "dying", func(o *mqttx.Options) {
			o.Will = &mqttx.Message{Topic: "c/dying/status", Payload: []byte("offline"), QoS: 1, Retained: true}
			o.OnConnect = nil
		})
		proxy.Cut()
		got := make(inbox, 10)
		connect(t, b.URL(), "watcher", func(o *mqttx.Options) {
			o.Subscriptions = []mqttx.Subscription{{Filter: "c/+/status", QoS: 1, Handler: got.handler}}
		})
		// Retained or live, the will must show up.
		assert.Equal(t, "offline", string(got.next(t).Payload))
	})
}

// After the broker restarts (forgetting every session), the client comes
// back by itself, re-makes its subscriptions and runs OnConnect again.
func TestReconnectResubscribes(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		got := make(inbox, 100)
		connected := make(chan struct{}, 10)
		sub := connect(t, b.URL(), "sub", func(o *mqttx.Options) {
			o.Subscriptions = []mqttx.Subscription{{Filter: "t/#", QoS: 1, Handler: got.handler}}
			o.OnConnect = func() { connected <- struct{}{} }
		})
		<-connected
		b.Stop(t)
		require.Eventually(t, func() bool { return !sub.Connected() }, wait, 10*time.Millisecond)
		b.Start(t)
		select {
		case <-connected:
		case <-time.After(wait):
			t.Fatal("no reconnect within", wait)
		}
		assert.EqualValues(t, 2, sub.Connections())
		pub := connect(t, b.URL(), "pub", nil)
		require.NoError(t, pub.Publish(context.Background(), mqttx.Message{Topic: "t/after", Payload: []byte("x"), QoS: 1}))
		assert.Equal(t, "t/after", got.next(t).Topic)
	})
}

func TestWebSocket(t *testing.T) {
	wsAddr := brokertest.FreeLoopbackAddr(t)
	b, err := broker.Start(broker.Options{WebSocketAddr: wsAddr})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	got := make(inbox, 1)
	// The WebSocket listener starts serving asynchronously; Connect retries.
	connect(t, b.WebSocketURL(), "ws-sub", func(o *mqttx.Options) {
		o.Subscriptions = []mqttx.Subscription{{Filter: "w", QoS: 0, Handler: got.handler}}
	})
	pub := connect(t, b.URL(), "tcp-pub", nil)
	require.NoError(t, pub.Publish(context.Background(), mqttx.Message{Topic: "w", Payload: []byte("over ws")}))
	assert.Equal(t, "over ws", string(got.next(t).Payload))
}

func TestConnectGivesUpWhenContextEnds(t *testing.T) {
	addr := brokertest.FreeLoopbackAddr(t) // nothing listens there
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := mqttx.Connect(ctx, mqttx.Options{BrokerURL: "tcp://" + addr, ClientID: "x"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestValidateBrokerURL(t *testing.T) {
	for _, ok := range []string{"tcp://localhost:1883", "ssl://broker:8883", "ws://h:8080/mqtt", "mqtts://h:8883", "wss://h/mqtt"} {
		assert.NoError(t, mqttx.ValidateBrokerURL(ok), ok)
	}
	for _, bad := range []string{"localhost:1883", "http://h:1", "tcp://", "::"} {
		assert.Error(t, mqttx.ValidateBrokerURL(bad), bad)
	}
}

func TestTLSConfig(t *testing.T) {
	cfg, err := mqttx.TLSConfig(mqttx.Options{})
	require.NoError(t, err)
	assert.Nil(t, cfg, "no TLS option: system defaults")

	dir := t.TempDir()
	certFile, keyFile := writeSelfSigned(t, dir)
	cfg, err = mqttx.TLSConfig(mqttx.Options{CAFile: certFile, CertFile: certFile, KeyFile: keyFile})
	require.NoError(t, err)
	require.NotNil(t, cfg.RootCAs)
	require.Len(t, cfg.Certificates, 1)

	_, err = mqttx.TLSConfig(mqttx.Options{CertFile: certFile})
	assert.ErrorContains(t, err, "key file")
	_, err = mqttx.TLSConfig(mqttx.Options{CAFile: keyFile})
	assert.ErrorContains(t, err, "no PEM certificate")
	_, err = mqttx.TLSConfig(mqttx.Options{CAFile: filepath.Join(dir, "missing.pem")})
	assert.Error(t, err)
}

func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "greenwave-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

// Regression: with QoS 1 retained messages in flight to a client (the
// statuses of its first filter), mochi-mqtt refused the client's next
// SUBSCRIBE when the packet ids collided, and paho reported no error: the
// controller silently never got positions. All filters now go in one
// SUBSCRIBE, and refused ones are retried.
func TestEveryFilterSubscribedDespiteRetainedInFlight(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		pub := connect(t, b.URL(), "pub", nil)
		for _, id := range []string{"I1", "I2", "I3", "I4"} {
			require.NoError(t, pub.Publish(context.Background(), mqttx.Message{Topic: "g/signals/" + id + "/status", Payload: []byte("s"), QoS: 1, Retained: true}))
		}
		for i := range 10 {
			got := make(inbox, 100)
			// A fresh client id each time: mochi cleans up a disconnected
			// client's subscriptions by id, asynchronously, and may take a
			// new client's of the same id with them.
			c := connect(t, b.URL(), fmt.Sprintf("svc-%d", i), func(o *mqttx.Options) {
				o.Subscriptions = []mqttx.Subscription{
					{Filter: "g/signals/+/status", QoS: 1, Handler: got.handler},
					{Filter: "g/vehicles/+/position", QoS: 1, Handler: got.handler},
					{Filter: "g/vehicles/+/route", QoS: 1, Handler: got.handler},
				}
			})
			require.NoError(t, pub.Publish(context.Background(), mqttx.Message{Topic: "g/vehicles/a/position", Payload: []byte("p"), QoS: 1}))
			for {
				m := got.next(t)
				if m.Topic == "g/vehicles/a/position" {
					break
				}
			}
			c.Disconnect(0)
		}
	})
}

package attack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/service"
	"github.com/greenwave-project/greenwave/wire"
)

// A payload over the limit never reaches greenwave whole: the broker's
// max_packet_size disconnects a client that sends a packet over 65 KiB
// (MQTT 3.1.1 cannot tell it the limit), so a 1 MiB payload is never
// delivered; one just over greenwave's own 64 KiB, which the broker
// passes, is refused (too_large) without being parsed.
func TestOversizePayloadNeverDelivered(t *testing.T) {
	c := newCity(t, cityOptions{})
	lost := make(chan error, 1)
	o := c.deviceOptions("amb-2")
	o.OnConnectionLost = func(err error) {
		select {
		case lost <- err:
		default:
		}
	}
	amb2 := c.connect(o)
	big := mqttx.Message{Topic: c.topics.Position("amb-2"), Payload: []byte(`{"pad":"` + strings.Repeat("x", 1<<20) + `"}`), QoS: 1}
	_ = amb2.Publish(context.Background(), big)
	select {
	case err := <-lost:
		t.Logf("the broker dropped the sender: %v", err)
	case <-time.After(realWait):
		t.Fatal("the broker kept a client that sent a 1 MiB packet")
	}
	// Just over 64 KiB: under the broker's limit, over greenwave's.
	amb3 := c.device("amb-3")
	over := mqttx.Message{Topic: c.topics.Position("amb-3"), Payload: []byte(`{"pad":"` + strings.Repeat("x", 64<<10) + `"}`), QoS: 1}
	c.publish(amb3, over)
	c.waitFor("the 64 KiB payload refused", func() bool { return c.refused(mqttx.KindPosition, service.RejectTooLarge, "payload") == 1 })
	assert.Equal(t, 1.0, c.received(mqttx.KindPosition), "the 1 MiB payload never reached greenwave")
}

// A vehicle's retained route survives a broker restart: the shipped
// configuration keeps a persistence database, so a controller that
// (re)subscribes after the restart still gets the route.
func TestRetainedRouteSurvivesBrokerRestart(t *testing.T) {
	c := newCity(t, cityOptions{})
	amb1 := c.device("amb-1")
	r := wire.Route{VehicleID: "amb-1", RouteID: "r-7", TS: time.Now(), Path: []orb.Point{lonLat(100, 0), lonLat(1900, 0)}}
	payload, err := json.Marshal(r)
	require.NoError(t, err)
	c.publish(amb1, mqttx.Message{Topic: c.topics.Route("amb-1"), Payload: payload, QoS: 1, Retained: true})
	c.waitFor("the controller got the route", func() bool { return c.received(mqttx.KindRoute) == 1 })

	c.broker.Shutdown(t)
	c.broker.Start(t)
	// The controller reconnects and subscribes again: the broker hands it
	// the retained route it kept on disk.
	c.waitFor("the route again after the restart", func() bool { return c.received(mqttx.KindRoute) == 2 })
	got := make(chan []byte, 1)
	o := c.passwordOptions(monitorUser, "after-restart")
	o.Subscriptions = []mqttx.Subscription{{Filter: c.topics.Route("amb-1"), QoS: 1, Handler: func(_ string, p []byte) { got <- append([]byte(nil), p...) }}}
	c.connect(o)
	select {
	case p := <-got:
		assert.JSONEq(t, string(payload), string(p))
	case <-time.After(realWait):
		t.Fatal("no retained route after the broker restart")
	}
}

// A controller that cannot connect says so: an error line naming the
// cause (a wrong CA, a wrong password), and /healthz says it too.
func TestConnectionFailuresAreNeverSilent(t *testing.T) {
	c := newCity(t, cityOptions{})
	for _, tt := range []struct {
		name   string
		edit   func(*mqttx.Options)
		causes []string
		warn   string
	}{
		{"wrong CA", func(o *mqttx.Options) { o.CAFile = brokertest.NewPKI(t, "not-the-broker's").CAFile }, []string{mqttx.CauseTLSVerify}, ""},
		{"wrong password", func(o *mqttx.Options) { o.Password = "wrong" }, []string{mqttx.CauseBadCredentials, mqttx.CauseNotAuthorized}, ""},
		{"password in the URL, over plaintext", func(o *mqttx.Options) {
			o.BrokerURL = "tcp://greenwave:s3cret@" + strings.TrimPrefix(c.broker.PasswordURL, "ssl://")
		}, []string{mqttx.CauseNetwork, mqttx.CauseTimeout}, "in the clear"},
		{"no verification", func(o *mqttx.Options) { o.CAFile, o.InsecureSkipVerify, o.Password = "", true, "wrong" },
			[]string{mqttx.CauseBadCredentials, mqttx.CauseNotAuthorized}, "--tls-insecure"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			svc, err := service.New(c.net, service.Config{Topics: c.topics, Engine: controller.Config{ControllerID: "cc-2"},
				Metrics: metrics.New(), Logger: zap.New(core), Registry: mustRegistry(t, fleet)})
			require.NoError(t, err)
			o := c.passwordOptions(controllerID, "cc-2")
			o.Logger = zap.New(core)
			tt.edit(&o)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- svc.Serve(ctx, o) }()
			defer func() { cancel(); <-done }()
			require.Eventually(t, func() bool { return len(logs.FilterLevelExact(zapcore.ErrorLevel).All()) > 0 }, realWait, 10*time.Millisecond)
			line := logs.FilterLevelExact(zapcore.ErrorLevel).All()[0]
			fields := line.ContextMap()
			t.Logf("%s: %v", line.Message, fields)
			assert.Contains(t, tt.causes, fields["cause"])
			assert.Contains(t, svc.Healthy().Error(), fields["cause"].(string), "/healthz names the cause")
			if tt.warn != "" {
				assert.NotEmpty(t, logs.FilterLevelExact(zapcore.WarnLevel).FilterMessageSnippet(tt.warn).All(), "a warning saying %q", tt.warn)
			}
			for _, e := range logs.All() {
				for _, v := range e.ContextMap() {
					if s, ok := v.(string); ok {
						assert.NotContains(t, s, "s3cret", "a password in a log line")
					}
				}
			}
		})
	}
}

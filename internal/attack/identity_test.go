package attack

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
)

// tryConnect connects with o for at most a second and returns the cause
// of the last refusal ("" if it connected).
func tryConnect(t *testing.T, o mqttx.Options) string {
	t.Helper()
	var mu sync.Mutex
	var cause string
	o.OnConnectFailed = func(c string, _ error) { mu.Lock(); cause = c; mu.Unlock() }
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	c, err := mqttx.Connect(ctx, o)
	if err == nil {
		c.Disconnect(0)
		return ""
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%s: refused: %s (%v)", o.ClientID, cause, err)
	return cause
}

// Nobody connects without an identity the broker accepts: no anonymous
// client, no wrong password, no certificate from another CA, no
// plaintext listener at all.
func TestOnlyKnownIdentitiesConnect(t *testing.T) {
	c := newCity(t, cityOptions{})
	anon := c.passwordOptions("", "anon")
	assert.Contains(t, []string{mqttx.CauseBadCredentials, mqttx.CauseNotAuthorized}, tryConnect(t, anon), "anonymous")
	wrong := c.passwordOptions(controllerID, "guess")
	wrong.Password = "guess"
	assert.Contains(t, []string{mqttx.CauseBadCredentials, mqttx.CauseNotAuthorized}, tryConnect(t, wrong), "wrong password")
	other := brokertest.NewPKI(t, "someone-else")
	forged := c.deviceOptions("amb-1")
	kp := other.Client("amb-1")
	forged.CertFile, forged.KeyFile = kp.CertFile, kp.KeyFile
	assert.Contains(t, []string{mqttx.CauseTLSHandshake, mqttx.CauseNetwork}, tryConnect(t, forged), "a certificate from another CA")
	plain := c.passwordOptions(controllerID, "plain")
	plain.BrokerURL = "tcp://" + c.broker.PasswordURL[len("ssl://"):]
	assert.NotEmpty(t, tryConnect(t, plain), "no plaintext MQTT")
	assert.Empty(t, tryConnect(t, c.deviceOptions("amb-1")), "a fleet certificate connects")
}

// No command is ever sent for a vehicle that is not registered, or for a
// registered vehicle named by someone else: mallory (an accepted
// certificate, not in the registry) reports fixes on her own topic
// (refused by greenwave: unregistered), on amb-1's and on 30 invented
// vehicles' topics (dropped by the broker: the ACL), and amb-2 reports a
// fix claiming to be amb-1 on its own topic (refused: id_mismatch).
// amb-1 itself, reporting afterwards, is served.
func TestNoCommandForUnregisteredOrMisboundIDs(t *testing.T) {
	c := newCity(t, cityOptions{})
	mallory, amb2 := c.device("mallory"), c.device("amb-2")
	now := time.Now()
	c.publish(mallory, c.fixAt("mallory", 1, now, 300, true))
	c.publish(mallory, c.fixAt("amb-1", 1, now, 300, true))
	for i := range 30 {
		c.publish(mallory, c.fixAt(fmt.Sprintf("fake-%d", i), 1, now, 300, true))
	}
	hijack := c.fixAt("amb-1", 1, now, 300, true)
	hijack.Topic = c.topics.Position("amb-2")
	c.publish(amb2, hijack)

	c.waitFor("mallory's own fix refused", func() bool {
		return c.refused(mqttx.KindPosition, "unregistered", "vehicle_id") == 1
	})
	c.waitFor("amb-2's mis-bound fix refused", func() bool {
		return c.refused(mqttx.KindPosition, "id_mismatch", "vehicle_id") == 1
	})
	amb1 := c.device("amb-1")
	c.publish(amb1, c.fixAt("amb-1", 1, time.Now(), 300, true))
	c.waitFor("amb-1 preempted", func() bool { return len(c.mon.preempts("amb-1")) > 0 })
	for _, cmd := range c.mon.commands() {
		assert.Equal(t, "amb-1", cmd.VehicleID, "a command for someone other than amb-1")
	}
	// The broker dropped the 31 fixes mallory sent on other vehicles' topics:
	// greenwave received mallory's, amb-2's and amb-1's own.
	assert.Equal(t, 3.0, c.received(mqttx.KindPosition))
	require.Equal(t, 1.0, metrics.Value(c.met.InputsProcessed.WithLabelValues("position")), "only amb-1's fix reached the engine")
}

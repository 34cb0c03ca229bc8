package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLogBrokerRedactsThePassword(t *testing.T) {
	f := MQTT{Broker: "ssl://gw:s3cret@broker.city.example:8883"}.LogBroker()
	assert.Equal(t, "broker", f.Key)
	assert.NotContains(t, f.String, "s3cret")
	assert.Contains(t, f.String, "broker.city.example:8883")
}

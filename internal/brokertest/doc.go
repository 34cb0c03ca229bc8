// Package brokertest gives integration tests and benchmarks real MQTT
// brokers on loopback: the embedded mochi-mqtt broker (always available)
// and Mosquitto (when installed; the test is skipped with the reason
// otherwise). Both can be stopped and restarted on the same address, which
// is how the reconnect tests take the broker away from a running service.
package brokertest

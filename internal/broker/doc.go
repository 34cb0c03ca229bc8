// Package broker runs an embedded MQTT broker (mochi-mqtt) for the
// zero-setup demo and for tests. It binds to loopback only and lets every
// client in: it is a convenience for one machine, never a production
// broker, and refusing other addresses keeps it from becoming one by
// accident.
package broker

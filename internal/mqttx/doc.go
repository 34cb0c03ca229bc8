// Package mqttx is greenwave's MQTT edge: the topic tree of
// wire-protocol.md under a configurable root, and a paho client wired the
// way every greenwave process needs it — tcp://, ssl:// (CA, client
// certificate and key) and ws:// brokers, credentials, automatic reconnect
// with backoff, subscriptions that are re-made on every reconnect, and an
// optional retained Last Will.
//
// Subscriptions are re-made in the OnConnect handler rather than relying
// on a persistent session, because brokers differ in how long (and whether)
// they keep a session, and a controller that silently stops receiving
// positions after a broker restart is the failure that matters most here.
package mqttx

// Package registry is the list of vehicles allowed to move a signal: each
// one's vehicle_id, agency, class, priority, and the broker identity (MQTT
// user name, or the common name of its client certificate) it must
// connect with. The controller refuses every message about a vehicle not
// in it before the message is parsed or costs the engine any state, takes
// each vehicle's priority from it, and reloads it on SIGHUP.
//
// The registry binds a vehicle_id to a broker identity; the broker
// enforces the binding. Under MQTT 3.1.1 a subscriber cannot see who
// published a message, only its topic, so the broker's ACL must let each
// identity write only its own vehicle's topics: with the shipped
// deploy/mosquitto ACL, `pattern write greenwave/v1/vehicles/%u/position`
// does that for every vehicle whose identity is its vehicle_id, and
// MosquittoACL writes the explicit rules for the vehicles whose identity
// differs (docs/security.md).
//
// Files are CSV (a header row naming the columns) or YAML (a list under
// "vehicles"), told apart by their extension: see Load.
package registry

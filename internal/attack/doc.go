// Package attack is greenwave's attack suite: Go tests that run the
// controller (serve's service) and the roadside simulator (rsu) against
// a real Mosquitto started with the shipped configuration and ACL
// (deploy/mosquitto) over TLS, and try, as an attacker would, every way
// issue 13 found to move a signal or deny a real ambulance. Each test
// asserts the outcome: no command for an unregistered or mis-bound id,
// the genuine ambulance keeping its preempts, floods and replays refused,
// a dead roadside reported as such, failures that are never silent.
// docs/security.md has the threat model and the suite's figures.
//
// The package has no code of its own. Without Mosquitto the tests skip,
// saying why, unless GREENWAVE_REQUIRE_MOSQUITTO is set (CI sets it).
package attack

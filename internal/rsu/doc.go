// Package rsu simulates the roadside units of every intersection of a map
// over MQTT, with the signals package's state machine: what integrators
// test their gateways and telematics against, and the street side of the
// demo.
//
// One goroutine owns every unit. Commands and controller presence arrive
// from MQTT through a channel; a timer wakes the loop at the earliest
// moment any unit changes on its own (an interval ending, a hold capped,
// a preempt expiring). Each unit's status is published, retained at QoS 1,
// whenever what it reports (state, green phases, request served) changes,
// and all of them again after every reconnect, since a restarted broker
// may have lost the retained copies.
//
// The units obey only the controllers they trust (Options.
// TrustedControllers), each caps its hold time within a sliding window
// (signals.HoldBudget), and with Options.UnitConnections each has its own
// MQTT connection whose Last Will is a retained fault status marked
// offline, so that a dead simulator leaves no unit reporting hold; a
// simulator that stops cleanly publishes the same statuses itself.
package rsu

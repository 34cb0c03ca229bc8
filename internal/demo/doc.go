// Package demo is `greenwave demo`: the whole live system on one machine
// with no set-up. It starts the embedded broker on loopback (or uses the
// broker it is given), the controller (internal/service), the roadside
// units (internal/rsu) and one or more simulated ambulances that publish
// their fixes over MQTT along routes on the shipped Luxembourg map. Every
// component runs on one clock, Speedup times faster than real time, so a
// four-minute run plays in well under a minute.
//
// It ends with a summary per ambulance: the signals on its route, how many
// it met on green, how often it stopped, its travel time, and the same
// trip with preemption off — computed by the simulator (package sim) on
// the same map, route, departure time and signal plans, with no controller.
package demo

// Package service is the live controller: it feeds the decision engine
// (controller.Engine) from MQTT with the wall clock and hands what the
// engine decides to MQTT, logs, an audit trail and metrics.
//
// Goroutines and who owns what:
//
//   - paho's delivery goroutine admits every vehicle's message first
//     (its id in the registry, within its rate: a refused one costs a
//     map lookup and never reaches the engine), then parses and validates
//     it, and queues the input; refusals are counted, and logged and
//     audited summed per kind and reason per window (refusals.go);
//   - the engine goroutine is the only one that touches the Engine: it
//     Steps inputs, Ticks at Ready().NextWakeup, and routes the outputs;
//   - the command publisher publishes commands (QoS 1) strictly in order
//     from an unbounded queue and retries until the broker acknowledges,
//     so a command is never dropped and the engine never waits on the
//     network;
//   - the advisory publisher sends advisories (QoS 0) from a bounded
//     queue; when it is full, or the broker is away, they are dropped and
//     counted — the next advisory supersedes them anyway.
//
// Every failed connection attempt is logged with its cause and shown by
// Healthy (/healthz). A registry reload (SetRegistry, on SIGHUP) swaps the
// admission rules and gives the engine the new priorities between two
// inputs.
//
// The controller announces itself with a retained `online` on every
// connection and registers a retained `offline` as its Last Will, so the
// roadside units end its preempts if it dies. A graceful shutdown releases
// what it holds and publishes `offline` itself.
package service

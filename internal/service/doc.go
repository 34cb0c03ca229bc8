// Package service is the live controller: it feeds the decision engine
// (controller.Engine) from MQTT with the wall clock and hands what the
// engine decides to MQTT, logs, an audit trail and metrics.
//
// Goroutines and who owns what:
//
//   - paho's delivery goroutine parses and validates every message
//     (rejects are logged and counted there and never reach the engine)
//     and queues the input;
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
// The controller announces itself with a retained `online` on every
// connection and registers a retained `offline` as its Last Will, so the
// roadside units end its preempts if it dies. A graceful shutdown releases
// what it holds and publishes `offline` itself.
package service

// Package web is the operator page: a live map of the city in the browser,
// served by `greenwave serve` and `greenwave demo` at / of their --http
// address, and by `greenwave replay` from a recording.
//
// The page (assets/, embedded with go:embed: no CDN, no tile server, no
// framework) draws the map's roads and signalised intersections in SVG
// with pan and zoom, each signal by its reported state (shape, letter and
// colour), each vehicle with its heading, its path ahead and the signals
// it has asked for, each live preempt with a countdown to its expires_at,
// and a side panel streaming the engine's decisions, filterable by vehicle
// and intersection; a signal's recent history is a click (or Enter) away.
// docs/operator-page.md is the operator's guide.
//
// Data flow. Hub implements service.Observer: on the engine goroutine it
// only notes the last fix per vehicle, the statuses, advisories and
// decisions, under a short lock. Its own goroutine (Run) turns them into
// one Batch every BatchInterval (250 ms), applies it to the page state,
// and queues the encoded batch for every connected page (Server-Sent
// Events, GET /api/events). A page's queue is bounded: a page that falls
// behind misses batches, counted (greenwave_web_batches_dropped_total)
// and shown on the page, and is sent a fresh snapshot once it has caught
// up. Nothing a page does can block the engine.
//
// Read-only and guarded: only GET and HEAD; the page binds to loopback by
// default, and CheckExposure refuses to serve it on another address
// without a token (Handler checks it as a bearer token, a ?token= query or
// the cookie the query sets).
//
// A hub can write the event stream to a recording (JSON lines: a
// RecordHeader with the map, then the batches); Play feeds one back into a
// hub made with Options.Replay, at any speed.
package web

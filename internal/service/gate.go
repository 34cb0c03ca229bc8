package service

import (
	"sync"
	"time"

	"github.com/greenwave-project/greenwave/internal/registry"
)

// Defaults of the rate limits (Config).
const (
	// DefaultVehicleRate is the sustained messages a second a registered
	// vehicle may send (positions and routes together): ten times the
	// usual fix rate, so a unit reporting at 5 Hz is never limited.
	DefaultVehicleRate = 10.0
	// DefaultVehicleBurst lets a vehicle's unit deliver a backlog of 30
	// fixes at once after a tunnel.
	DefaultVehicleBurst = 30
	// DefaultUnregisteredRate bounds, when no registry is configured
	// (every vehicle id accepted), what all vehicles together may send:
	// a small fleet's worth, so a flood of invented ids cannot take the
	// engine's time.
	DefaultUnregisteredRate = 500.0
)

// Refusal reasons of the gate.
const (
	RejectUnregistered = "unregistered" // the topic's vehicle id is not in the registry
	RejectRateLimited  = "rate_limited" // over the vehicle's (or the unregistered class's) rate
)

// gate decides, before a vehicle's message is parsed, whether it may go
// on: its vehicle must be registered (when there is a registry), and
// within its rate. Immutable once built, but for the buckets' state; a
// registry reload builds a new one, carrying the buckets over.
type gate struct {
	reg     *registry.Registry // nil: open, every id accepted
	buckets map[string]*bucket // one per registered vehicle
	class   *bucket            // the unregistered class, when open
	rate    float64
	burst   float64
}

func newGate(reg *registry.Registry, prev *gate, rate float64, burst int, classRate float64) *gate {
	g := &gate{reg: reg, rate: rate, burst: float64(burst)}
	if reg == nil {
		g.class = &bucket{}
		g.rate, g.burst = classRate, classRate
		return g
	}
	g.buckets = make(map[string]*bucket, reg.Len())
	for _, v := range reg.Vehicles() {
		if prev != nil && prev.buckets[v.ID] != nil {
			g.buckets[v.ID] = prev.buckets[v.ID]
			continue
		}
		g.buckets[v.ID] = &bucket{}
	}
	return g
}

// admit returns "" when a message about vehicle id may go on at now, or
// the reason it is refused.
func (g *gate) admit(id string, now time.Time) string {
	b := g.class
	if g.reg != nil {
		b = g.buckets[id]
		if b == nil {
			return RejectUnregistered
		}
	}
	if !b.take(now, g.rate, g.burst) {
		return RejectRateLimited
	}
	return ""
}

// bucket is a token bucket: it holds up to burst tokens, refilled at
// rate a second; a message takes one.
type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
	primed bool
}

func (b *bucket) take(now time.Time, rate, burst float64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.primed {
		b.tokens, b.last, b.primed = burst, now, true
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(burst, b.tokens+dt*rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

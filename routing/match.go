package routing

import (
	"errors"

	"github.com/paulmach/orb"
)

var errNotImplemented = errors.New("routing: not implemented yet")

// Fix is one GPS fix as the matcher needs it.
type Fix struct {
	LonLat     orb.Point // [lon, lat]
	HeadingDeg float64   // NaN when unknown
	SpeedMps   float64   // NaN when unknown
	AccuracyM  float64   // 0 when unknown
}

// RoadPos is a position on the road graph.
type RoadPos struct {
	Edge    int32   // directed edge, i.e. includes direction of travel
	OffsetM float64 // metres from the edge's start
	XY      XY      // the matched point
	DistM   float64 // from the fix to the road
}

// MatcherConfig tunes a Matcher; every zero field takes its default.
type MatcherConfig struct{}

// Matcher matches one vehicle's fixes to the road graph.
type Matcher struct {
	net *Network
	cfg MatcherConfig
}

// NewMatcher returns a matcher for one vehicle.
func NewMatcher(n *Network, cfg MatcherConfig) *Matcher { return &Matcher{net: n, cfg: cfg} }

// Match matches a fix; false: no road near enough.
func (m *Matcher) Match(f Fix) (RoadPos, bool) { return RoadPos{}, false }

// Reset forgets the vehicle's history.
func (m *Matcher) Reset() {}

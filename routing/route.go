package routing

import "github.com/paulmach/orb"

// Route returns the fastest free-flow route between two points.
func (n *Network) Route(from, to orb.Point) (*Path, error) { return nil, errNotImplemented }

// RouteFrom returns the fastest free-flow route from a matched position.
func (n *Network) RouteFrom(pos RoadPos, to orb.Point) (*Path, error) { return nil, errNotImplemented }

// PathFromPolyline builds a path from an announced route.
func (n *Network) PathFromPolyline(lonlat []orb.Point) (*Path, error) { return nil, errNotImplemented }

// RoadAhead follows the road from pos up to maxDistM.
func (n *Network) RoadAhead(pos RoadPos, maxDistM float64) *Path { return &Path{net: n} }

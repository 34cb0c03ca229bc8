// Package routing is the half of greenwave that knows the city: where the
// signalised intersections are and which phase serves which approach
// (Inventory, loaded from the GeoJSON of map-format.md or imported from
// OpenStreetMap), how the roads connect (Network: a directed graph in a
// local metric projection, with R-tree indexes of road segments and of
// intersections), where a noisy GPS fix really is (map matching), the
// fastest route between two points, and which signals lie ahead of a
// vehicle on its path and when it reaches each stop line.
//
// A Network is immutable after Build and safe for concurrent readers; the
// per-vehicle state (a matcher, a position on a path) is owned by its
// caller. Nothing here does I/O except the explicit loaders, and nothing
// reads a clock.
package routing

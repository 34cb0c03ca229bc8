// Package sumo connects greenwave to Eclipse SUMO networks: it reads a
// SUMO network file (.net.xml, gzipped or not) and imports it as a
// greenwave map (map-format.md), with the extra properties that tie the
// map back to SUMO (docs/sumo.md). It will also hold the co-simulation
// that steps SUMO through package traci.
//
// ReadNet reads what greenwave uses of a network: the projection, the
// edges and lanes, the junctions, the traffic-light programs and the
// controlled connections, checking numbers, shapes and references and
// naming the line of a fault. NewProjection converts the network's
// coordinates to longitude and latitude (UTM and transverse Mercator, as
// netconvert writes them). Import turns the network into a Map: roads from
// the edges open to cars, one intersection per traffic light, approaches
// from the incoming edges with a NEMA-style phase each derived from the
// program, and timing from the program; its doc comment gives every rule.
// Map.WriteGeoJSON writes the map file that `greenwave import-sumo`
// produces, which routing.LoadMapFile and therefore serve, route and sim
// load like any other map.
//
// What the co-simulation reads back from a map: an approach's sumo_links
// are the link indices (positions in the traffic light's state string) of
// the connections its traffic may take; its sumo_through_links, those to
// make green for a vehicle going straight on (across every junction of a
// joined traffic light); its sumo_green_phases, the program phases that
// already green them. A road's sumo_edge is its SUMO edge.
package sumo

// Package sumo connects greenwave to Eclipse SUMO networks: it reads a
// SUMO network file (.net.xml, gzipped or not) and imports it as a
// greenwave map (map-format.md), with the extra properties that tie the
// map back to SUMO (docs/sumo.md), and it runs the co-simulation that
// steps SUMO through package traci with greenwave's engine in the loop.
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
// CoSimulate runs a Scenario (LoadScenario: a SUMO configuration, the
// ambulance trips, GPS and controller options): once with no other traffic
// and every signal green, for each trip's ideal travel time, then once per
// strategy (none, range, greenwave). Each strategy run steps SUMO on its
// own clock, turns the ambulances' positions into wire.Position fixes
// (with sim's GPS noise, loss, latency and jitter, seeded), drives the
// same controller.Engine as the live service (Step, Tick, Ready), and
// plays every signal's roadside unit on SUMO's traffic lights (rsu.go: the
// wire.Command in, the wire.Status out, safe entry from whatever the
// program shows, hold, expiry, and a return to the program). The
// CoSimReport has the totals, a row per trip and per signal
// passage, and why each signal not met on green was missed.
//
// What the co-simulation reads back from a map: an approach's sumo_links
// are the link indices (positions in the traffic light's state string) of
// the connections its traffic may take; its sumo_through_links, those to
// make green for a vehicle going straight on (across every junction of a
// joined traffic light); its sumo_green_phases, the program phases that
// already green them. A road's sumo_edge is its SUMO edge.
package sumo

package sumo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/greenwave-project/greenwave/routing"
)

// ReadMapFile reads a map written by import-sumo (or by hand, with the
// same properties): the ordinary inventory, validated as routing loads it,
// and the sumo_* properties that tie it to SUMO (docs/sumo.md). Every
// intersection must have sumo_tls, sumo_link_count and, on each approach,
// sumo_edge and sumo_through_links within the link count. Errors name the
// file and the feature.
func ReadMapFile(path string) (*Map, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, routing.MaxMapBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := parseMap(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func parseMap(data []byte) (*Map, error) {
	inv, err := routing.LoadGeoJSON(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var fc struct {
		Features []struct {
			Properties json.RawMessage `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, err
	}
	inters := map[string]intersectionProps{}
	roads := map[string]string{}
	for _, f := range fc.Features {
		var kind struct {
			Kind string `json:"kind"`
			ID   string `json:"id"`
		}
		if json.Unmarshal(f.Properties, &kind) != nil {
			continue // LoadGeoJSON has accepted the file: properties are objects
		}
		switch kind.Kind {
		case "intersection":
			var p intersectionProps
			if err := json.Unmarshal(f.Properties, &p); err != nil {
				return nil, fmt.Errorf("intersection %q: SUMO properties: %v", kind.ID, err)
			}
			inters[kind.ID] = p
		case "road":
			var p roadProps
			if err := json.Unmarshal(f.Properties, &p); err != nil {
				return nil, fmt.Errorf("road %q: SUMO properties: %v", kind.ID, err)
			}
			roads[kind.ID] = p.SumoEdge
		}
	}
	m := &Map{Inventory: *inv}
	var errs []error
	fail := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	for _, in := range inv.Intersections {
		p := inters[in.ID]
		link := Intersection{TLS: p.SumoTLS, ProgramID: p.SumoProgram, Junctions: p.SumoJunctions, LinkCount: p.SumoLinkCount}
		if p.SumoTLS == "" {
			fail("intersection %q: no sumo_tls: not a map of a SUMO network (make one with greenwave import-sumo)", in.ID)
		}
		if p.SumoLinkCount <= 0 || p.SumoLinkCount > 1<<16 {
			fail("intersection %q: sumo_link_count must be in [1, 65536], got %d", in.ID, p.SumoLinkCount)
		}
		byID := map[string]approachProps{}
		for _, a := range p.Approaches {
			byID[a.ID] = a
		}
		for _, a := range in.Approaches {
			ap := byID[a.ID]
			if ap.SumoEdge == "" || len(ap.SumoThroughLinks) == 0 {
				fail("intersection %q approach %q: sumo_edge and sumo_through_links are required", in.ID, a.ID)
			}
			for _, li := range append(append([]int(nil), ap.SumoLinks...), ap.SumoThroughLinks...) {
				if li < 0 || li >= p.SumoLinkCount {
					fail("intersection %q approach %q: link %d outside [0, sumo_link_count %d)", in.ID, a.ID, li, p.SumoLinkCount)
				}
			}
			link.Approaches = append(link.Approaches, Approach{Edge: ap.SumoEdge, Links: ap.SumoLinks,
				ThroughLinks: ap.SumoThroughLinks, GreenPhases: ap.SumoGreenPhases})
		}
		m.Intersections = append(m.Intersections, link)
	}
	for _, r := range inv.Roads {
		edge := roads[r.ID]
		if edge == "" {
			edge = r.ID // import-sumo names roads after their edges
		}
		m.Roads = append(m.Roads, Road{Edge: edge})
	}
	return m, errors.Join(errs...)
}

// checkMapNet checks that a map belongs to the network the co-simulation
// runs: each intersection's traffic light is in it with the map's number
// of links, and each approach's and road's edge exists.
func checkMapNet(m *Map, n *Net) error {
	links := map[string]int{}
	for _, l := range n.TLLogics {
		if _, ok := links[l.ID]; !ok && len(l.Phases) > 0 {
			links[l.ID] = len(l.Phases[0].State)
		}
	}
	var errs []error
	fail := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	for i, in := range m.Intersections {
		id := m.Inventory.Intersections[i].ID
		count, ok := links[in.TLS]
		switch {
		case !ok:
			fail("intersection %q: traffic light %q is not in the network", id, in.TLS)
		case count != in.LinkCount:
			fail("intersection %q: traffic light %q has %d links in the network, %d in the map", id, in.TLS, count, in.LinkCount)
		}
		for _, a := range in.Approaches {
			if _, ok := n.EdgeByID(a.Edge); !ok {
				fail("intersection %q: approach edge %q is not in the network", id, a.Edge)
			}
		}
	}
	missing := 0
	for _, r := range m.Roads {
		if _, ok := n.EdgeByID(r.Edge); !ok {
			if missing == 0 {
				fail("road edge %q is not in the network", r.Edge)
			}
			missing++
		}
	}
	if missing > 1 {
		fail("%d road edges in all are not in the network", missing)
	}
	return errors.Join(errs...)
}

// The properties parseMap decodes, named as WriteGeoJSON writes them. They
// hold the map-format.md fields too, not only the sumo_* ones, so that a
// wrongly typed field of either kind is reported the same way.

type approachProps struct {
	ID               string  `json:"id"`
	BearingDeg       float64 `json:"bearing_deg"`
	Phase            int     `json:"phase"`
	SumoEdge         string  `json:"sumo_edge"`
	SumoLinks        []int   `json:"sumo_links"`
	SumoThroughLinks []int   `json:"sumo_through_links"`
	SumoGreenPhases  []int   `json:"sumo_green_phases"`
}

type timingProps struct {
	MinGreenS     float64 `json:"min_green_s"`
	YellowS       float64 `json:"yellow_s"`
	AllRedS       float64 `json:"all_red_s"`
	PedClearanceS float64 `json:"ped_clearance_s"`
	MaxPreemptS   float64 `json:"max_preempt_s"`
}

type intersectionProps struct {
	Kind          string          `json:"kind"`
	ID            string          `json:"id"`
	Name          string          `json:"name,omitempty"`
	Approaches    []approachProps `json:"approaches"`
	Timing        timingProps     `json:"timing"`
	SumoTLS       string          `json:"sumo_tls"`
	SumoProgram   string          `json:"sumo_program"`
	SumoJunctions []string        `json:"sumo_junctions"`
	SumoLinkCount int             `json:"sumo_link_count"`
}

type roadProps struct {
	Kind     string  `json:"kind"`
	ID       string  `json:"id"`
	Name     string  `json:"name,omitempty"`
	Highway  string  `json:"highway,omitempty"`
	Oneway   bool    `json:"oneway"`
	SpeedMps float64 `json:"speed_mps"`
	SumoEdge string  `json:"sumo_edge"`
}

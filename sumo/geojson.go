package sumo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"sort"

	"github.com/greenwave-project/greenwave/routing"
)

// WriteGeoJSON writes the map as a map-format.md FeatureCollection, with
// the properties that tie it to SUMO added (docs/sumo.md): sumo_tls,
// sumo_program, sumo_junctions and sumo_link_count on intersections,
// sumo_edge, sumo_links, sumo_through_links and sumo_green_phases on
// approaches, sumo_edge on roads. Loaders that do not know them ignore
// them. Features are sorted by id, one per line, coordinates rounded to 7
// decimals (about 1 cm), so the same network always gives the same bytes.
func (m *Map) WriteGeoJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	// One encoder into a scratch buffer: "A & B" stays readable (no HTML
	// escaping) and the newline the encoder ends with is dropped.
	var scratch bytes.Buffer
	enc := json.NewEncoder(&scratch)
	enc.SetEscapeHTML(false)
	if _, err := bw.WriteString(`{"type":"FeatureCollection","features":[`); err != nil {
		return err
	}
	first := true
	write := func(f any) error {
		if !first {
			if err := bw.WriteByte(','); err != nil {
				return err
			}
		}
		first = false
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
		scratch.Reset()
		if err := enc.Encode(f); err != nil {
			return err
		}
		_, err := bw.Write(bytes.TrimSuffix(scratch.Bytes(), []byte("\n")))
		return err
	}

	inters := make([]int, len(m.Inventory.Intersections))
	for i := range inters {
		inters[i] = i
	}
	sort.SliceStable(inters, func(a, b int) bool {
		return m.Inventory.Intersections[inters[a]].ID < m.Inventory.Intersections[inters[b]].ID
	})
	for _, i := range inters {
		if err := write(intersectionFeature(&m.Inventory.Intersections[i], &m.Intersections[i])); err != nil {
			return err
		}
	}
	roads := make([]int, len(m.Inventory.Roads))
	for i := range roads {
		roads[i] = i
	}
	sort.SliceStable(roads, func(a, b int) bool { return m.Inventory.Roads[roads[a]].ID < m.Inventory.Roads[roads[b]].ID })
	for _, i := range roads {
		if err := write(roadFeature(&m.Inventory.Roads[i], &m.Roads[i])); err != nil {
			return err
		}
	}
	rs := make([]int, len(m.Inventory.Restrictions))
	for i := range rs {
		rs[i] = i
	}
	sort.SliceStable(rs, func(a, b int) bool { return m.Inventory.Restrictions[rs[a]].ID < m.Inventory.Restrictions[rs[b]].ID })
	for _, i := range rs {
		r := &m.Inventory.Restrictions[i]
		if err := write(feature[pointGeometry, restrictionProps]{Type: "Feature", Geometry: pointGeometry{Type: "Point", Coordinates: [2]float64{round(r.Via[0], 7), round(r.Via[1], 7)}},
			Properties: restrictionProps{Kind: "restriction", ID: r.ID, Restriction: r.Kind, From: r.From, To: r.To}}); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString("\n]}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

type restrictionProps struct {
	Kind        string `json:"kind"`
	ID          string `json:"id"`
	Restriction string `json:"restriction"`
	From        string `json:"from"`
	To          string `json:"to"`
}

type pointGeometry struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

type lineGeometry struct {
	Type        string       `json:"type"`
	Coordinates [][2]float64 `json:"coordinates"`
}

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

type feature[G, P any] struct {
	Type       string `json:"type"`
	Geometry   G      `json:"geometry"`
	Properties P      `json:"properties"`
}

func round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	r := math.Round(v*p) / p
	if r == 0 {
		return 0 // no "-0"
	}
	return r
}

func intersectionFeature(in *routing.Intersection, link *Intersection) feature[pointGeometry, intersectionProps] {
	props := intersectionProps{Kind: "intersection", ID: in.ID, Name: in.Name,
		Timing: timingProps{MinGreenS: round(in.Timing.MinGreenS, 1), YellowS: round(in.Timing.YellowS, 1),
			AllRedS: round(in.Timing.AllRedS, 1), PedClearanceS: round(in.Timing.PedClearanceS, 1),
			MaxPreemptS: round(in.Timing.MaxPreemptS, 1)},
		SumoTLS: link.TLS, SumoProgram: link.ProgramID, SumoJunctions: link.Junctions, SumoLinkCount: link.LinkCount}
	for k, a := range in.Approaches {
		sa := link.Approaches[k]
		props.Approaches = append(props.Approaches, approachProps{ID: a.ID, BearingDeg: roundBearing(a.BearingDeg), Phase: a.Phase,
			SumoEdge: sa.Edge, SumoLinks: sa.Links, SumoThroughLinks: sa.ThroughLinks, SumoGreenPhases: sa.GreenPhases})
	}
	return feature[pointGeometry, intersectionProps]{Type: "Feature",
		Geometry:   pointGeometry{Type: "Point", Coordinates: [2]float64{round(in.LonLat[0], 7), round(in.LonLat[1], 7)}},
		Properties: props}
}

func roadFeature(r *routing.Road, link *Road) feature[lineGeometry, roadProps] {
	coords := make([][2]float64, len(r.Coords))
	for k, c := range r.Coords {
		coords[k] = [2]float64{round(c[0], 7), round(c[1], 7)}
	}
	return feature[lineGeometry, roadProps]{Type: "Feature",
		Geometry: lineGeometry{Type: "LineString", Coordinates: coords},
		Properties: roadProps{Kind: "road", ID: r.ID, Name: r.Name, Highway: r.Class, Oneway: r.Oneway,
			SpeedMps: round(r.SpeedMps, 2), SumoEdge: link.Edge}}
}

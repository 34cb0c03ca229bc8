package sumo

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
)

// WriteGeoJSON writes the map as a map-format.md FeatureCollection, with
// the properties that tie it to SUMO added (docs/sumo.md): sumo_tls,
// sumo_program, sumo_junctions and sumo_link_count on intersections,
// sumo_edge, sumo_links, sumo_through_links and sumo_green_phases on
// approaches, sumo_edge on roads. Loaders that do not know them ignore
// them. Everything else is routing's writer, so a SUMO map is laid out
// exactly as any other (sorted by id, one feature per line, the same
// rounding) and the same network always gives the same bytes.
func (m *Map) WriteGeoJSON(w io.Writer) error {
	// One encoder into a scratch buffer: "A & B" stays readable (no HTML
	// escaping, as routing writes strings), the newline the encoder ends
	// with is dropped, and nil lists stay null, as this writer has
	// always written them.
	var scratch bytes.Buffer
	enc := json.NewEncoder(&scratch)
	enc.SetEscapeHTML(false)
	prop := func(b []byte, name string, v any) []byte {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		scratch.Reset()
		_ = enc.Encode(v) // strings, ints and their slices always encode
		return append(b, bytes.TrimSuffix(scratch.Bytes(), []byte("\n"))...)
	}
	return m.Inventory.WriteGeoJSONWith(w, func(b []byte, kind string, i, k int) []byte {
		switch kind {
		case "intersection":
			in := &m.Intersections[i]
			b = prop(b, "sumo_tls", in.TLS)
			b = prop(b, "sumo_program", in.ProgramID)
			b = prop(b, "sumo_junctions", in.Junctions)
			b = append(b, `,"sumo_link_count":`...)
			b = strconv.AppendInt(b, int64(in.LinkCount), 10)
		case "approach":
			a := &m.Intersections[i].Approaches[k]
			b = prop(b, "sumo_edge", a.Edge)
			b = prop(b, "sumo_links", a.Links)
			b = prop(b, "sumo_through_links", a.ThroughLinks)
			b = prop(b, "sumo_green_phases", a.GreenPhases)
		case "road":
			b = prop(b, "sumo_edge", m.Roads[i].Edge)
		}
		return b
	})
}

package routing

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/paulmach/orb"
)

// WriteGeoJSON writes the inventory as the FeatureCollection of
// map-format.md: intersections, then roads, then turn restrictions, each
// sorted by id, one feature
// per line, coordinates rounded to 7 decimals (about 1 cm), bearings to
// 0.1 degree and speeds to 0.01 m/s. The output depends only on the
// inventory, so an import run twice gives byte-identical files (and a
// clean diff when the city's map changes). The inventory itself is not
// modified.
func (inv *Inventory) WriteGeoJSON(w io.Writer) error {
	return inv.WriteGeoJSONWith(w, nil)
}

// GeoJSONExtra appends properties of a caller's own to one feature that
// WriteGeoJSONWith writes, so that an importer which knows more about a
// map than the inventory holds (sumo's sumo_* links, docs/sumo.md) can
// add it without writing the whole format a second time. kind is
// "intersection" (i indexes inv.Intersections, k is -1), "approach" (k
// indexes inv.Intersections[i].Approaches) or "road" (i indexes
// inv.Roads, k is -1). What it appends goes after the feature's own
// properties, before the closing brace, so each property it adds must
// start with a comma: `,"name":value`.
type GeoJSONExtra func(dst []byte, kind string, i, k int) []byte

// WriteGeoJSONWith writes what WriteGeoJSON writes, with extra's
// properties added to every intersection, approach and road (extra may be
// nil: then the output is exactly WriteGeoJSON's).
func (inv *Inventory) WriteGeoJSONWith(w io.Writer, extra GeoJSONExtra) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	// Indices rather than pointers are sorted so that extra can be told
	// which intersection or road of the inventory it is writing for.
	inters := sortedIndices(len(inv.Intersections), func(i, j int) bool {
		return inv.Intersections[i].ID < inv.Intersections[j].ID
	})
	roads := sortedIndices(len(inv.Roads), func(i, j int) bool { return inv.Roads[i].ID < inv.Roads[j].ID })

	b := make([]byte, 0, 4096)
	b = append(b, `{"type":"FeatureCollection","features":[`...)
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '\n')
	}
	for _, i := range inters {
		in := &inv.Intersections[i]
		sep()
		b = append(b, `{"type":"Feature","geometry":{"type":"Point","coordinates":`...)
		b = appendLonLat(b, in.LonLat[0], in.LonLat[1])
		b = append(b, `},"properties":{"kind":"intersection","id":`...)
		b = appendString(b, in.ID)
		if in.Name != "" {
			b = append(b, `,"name":`...)
			b = appendString(b, in.Name)
		}
		b = append(b, `,"approaches":[`...)
		for k, a := range in.Approaches {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendString(b, a.ID)
			b = append(b, `,"bearing_deg":`...)
			b = appendBearing(b, a.BearingDeg)
			b = append(b, `,"phase":`...)
			b = strconv.AppendInt(b, int64(a.Phase), 10)
			if a.FlowVehH != 0 {
				b = append(b, `,"flow_veh_h":`...)
				b = appendFloat(b, a.FlowVehH, 1)
			}
			if a.SatFlowVehH != 0 {
				b = append(b, `,"sat_flow_veh_h":`...)
				b = appendFloat(b, a.SatFlowVehH, 1)
			}
			if a.QueueFlushS != 0 {
				b = append(b, `,"queue_flush_s":`...)
				b = appendFloat(b, a.QueueFlushS, 1)
			}
			if len(a.StopLines) > 0 {
				b = append(b, `,"stop_lines":`...)
				b = appendPositions(b, a.StopLines)
			}
			if extra != nil {
				b = extra(b, "approach", i, k)
			}
			b = append(b, '}')
		}
		t := in.Timing
		b = append(b, `],"timing":{"min_green_s":`...)
		b = appendFloat(b, t.MinGreenS, 1)
		b = append(b, `,"yellow_s":`...)
		b = appendFloat(b, t.YellowS, 1)
		b = append(b, `,"all_red_s":`...)
		b = appendFloat(b, t.AllRedS, 1)
		b = append(b, `,"ped_clearance_s":`...)
		b = appendFloat(b, t.PedClearanceS, 1)
		b = append(b, `,"max_preempt_s":`...)
		b = appendFloat(b, t.MaxPreemptS, 1)
		b = append(b, '}')
		if len(in.Nodes) > 0 {
			b = append(b, `,"nodes":`...)
			b = appendPositions(b, in.Nodes)
		}
		if extra != nil {
			b = extra(b, "intersection", i, -1)
		}
		b = append(b, "}}"...)
		if _, err := bw.Write(b); err != nil {
			return err
		}
		b = b[:0]
	}
	for _, i := range roads {
		r := &inv.Roads[i]
		sep()
		b = append(b, `{"type":"Feature","geometry":{"type":"LineString","coordinates":[`...)
		for k, c := range r.Coords {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendLonLat(b, c[0], c[1])
		}
		b = append(b, `]},"properties":{"kind":"road","id":`...)
		b = appendString(b, r.ID)
		if r.Name != "" {
			b = append(b, `,"name":`...)
			b = appendString(b, r.Name)
		}
		if r.Class != "" {
			b = append(b, `,"highway":`...)
			b = appendString(b, r.Class)
		}
		b = append(b, `,"oneway":`...)
		b = strconv.AppendBool(b, r.Oneway)
		b = append(b, `,"speed_mps":`...)
		b = appendFloat(b, r.SpeedMps, 2)
		if extra != nil {
			b = extra(b, "road", i, -1)
		}
		b = append(b, "}}"...)
		if _, err := bw.Write(b); err != nil {
			return err
		}
		b = b[:0]
	}
	rs := make([]*TurnRestriction, len(inv.Restrictions))
	for i := range inv.Restrictions {
		rs[i] = &inv.Restrictions[i]
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	for _, r := range rs {
		sep()
		b = append(b, `{"type":"Feature","geometry":{"type":"Point","coordinates":`...)
		b = appendLonLat(b, r.Via[0], r.Via[1])
		b = append(b, `},"properties":{"kind":"restriction","id":`...)
		b = appendString(b, r.ID)
		b = append(b, `,"restriction":`...)
		b = appendString(b, r.Kind)
		b = append(b, `,"from":`...)
		b = appendString(b, r.From)
		b = append(b, `,"to":`...)
		b = appendString(b, r.To)
		b = append(b, "}}"...)
		if _, err := bw.Write(b); err != nil {
			return err
		}
		b = b[:0]
	}
	b = append(b, "\n]}\n"...)
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

// sortedIndices returns 0..n-1 stably sorted by less, which compares the
// elements at two indices.
func sortedIndices(n int, less func(i, j int) bool) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return less(idx[a], idx[b]) })
	return idx
}

func appendPositions(b []byte, pts []orb.Point) []byte {
	b = append(b, '[')
	for k, c := range pts {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendLonLat(b, c[0], c[1])
	}
	return append(b, ']')
}

func appendLonLat(b []byte, lon, lat float64) []byte {
	b = append(b, '[')
	b = appendFloat(b, lon, 7)
	b = append(b, ',')
	b = appendFloat(b, lat, 7)
	return append(b, ']')
}

// appendBearing rounds to 0.1 degree, keeping the result in [0, 360).
func appendBearing(b []byte, deg float64) []byte {
	r := math.Round(deg*10) / 10
	if r >= 360 {
		r -= 360
	}
	return appendFloat(b, r, 1)
}

// appendFloat writes v rounded to the given decimals, in the shortest form
// (no trailing zeros). Non-finite values, which Validate rejects, are
// written as 0 rather than as invalid JSON.
func appendFloat(b []byte, v float64, decimals int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, '0')
	}
	p := math.Pow(10, float64(decimals))
	r := math.Round(v*p) / p
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.AppendFloat(b, r, 'f', -1, 64)
}

// appendString writes s as a JSON string, without HTML escaping so that a
// name like "A & B" stays readable in the file.
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/wire"
)

// A recording (`greenwave demo --record FILE`, `serve --record FILE`) is
// the event stream as JSON lines: a RecordHeader, then each batch that was
// not empty, exactly as the pages were sent it. `greenwave replay FILE`
// plays it back on the same page.
const (
	RecordFormat  = "greenwave-events"
	RecordVersion = 1
	// MaxRecordLine bounds one line of a recording: the header carries
	// the map (a city's is a few hundred KB) and a batch of a large fleet
	// may be a few MB.
	MaxRecordLine = 64 << 20
)

// RecordHeader is a recording's first line.
type RecordHeader struct {
	Format  string   `json:"format"`
	Version int      `json:"version"`
	Start   int64    `json:"start"` // clock time the recording began, Unix ms
	Rate    float64  `json:"rate"`  // clock seconds per real second when recorded
	Map     *MapData `json:"map"`
}

// Recording reads a recording.
type Recording struct {
	Header RecordHeader
	sc     *bufio.Scanner
	line   int
	last   int64
}

// OpenRecording reads and checks the header of the recording in r.
func OpenRecording(r io.Reader) (*Recording, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), MaxRecordLine)
	rec := &Recording{sc: sc}
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("recording: line 1: %w", err)
		}
		return nil, errors.New("recording: empty: no header line")
	}
	rec.line = 1
	var h RecordHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		return nil, fmt.Errorf("recording: line 1: not a header: %w", err)
	}
	switch {
	case h.Format != RecordFormat:
		return nil, fmt.Errorf("recording: line 1: format: want %q, got %q", RecordFormat, h.Format)
	case h.Version != RecordVersion:
		return nil, fmt.Errorf("recording: line 1: version: want %d, got %d", RecordVersion, h.Version)
	case !(h.Rate > 0) || math.IsInf(h.Rate, 0):
		return nil, fmt.Errorf("recording: line 1: rate: must be a positive number, got %v", h.Rate)
	case h.Map == nil:
		return nil, errors.New("recording: line 1: map: required")
	}
	if err := checkMap(h.Map); err != nil {
		return nil, fmt.Errorf("recording: line 1: %w", err)
	}
	rec.Header = h
	rec.last = h.Start
	return rec, nil
}

func checkMap(m *MapData) error {
	seen := map[string]bool{}
	for i, in := range m.Intersections {
		if !isID(in.ID) {
			return fmt.Errorf("map.intersections[%d].id: not an identifier: %s", i, wire.Quote(in.ID, 70))
		}
		if seen[in.ID] {
			return fmt.Errorf("map.intersections[%d].id: %s twice", i, in.ID)
		}
		seen[in.ID] = true
		if !finite(in.X) || !finite(in.Y) {
			return fmt.Errorf("map.intersections[%d]: coordinates must be finite", i)
		}
	}
	for i, rc := range m.Roads {
		for j, l := range rc.Lines {
			if len(l)%2 != 0 {
				return fmt.Errorf("map.roads[%d].lines[%d]: odd number of coordinates", i, j)
			}
		}
	}
	return nil
}

// Next returns the next batch, or io.EOF at the end. A batch whose clock
// time goes back, or that does not decode, is an error naming its line.
func (r *Recording) Next() (*Batch, error) {
	for r.sc.Scan() {
		r.line++
		if len(r.sc.Bytes()) == 0 {
			continue
		}
		var b Batch
		if err := json.Unmarshal(r.sc.Bytes(), &b); err != nil {
			return nil, fmt.Errorf("recording: line %d: %w", r.line, err)
		}
		if err := checkBatch(&b); err != nil {
			return nil, fmt.Errorf("recording: line %d: %w", r.line, err)
		}
		if b.Now < r.last {
			return nil, fmt.Errorf("recording: line %d: now: goes back in time (%d after %d)", r.line, b.Now, r.last)
		}
		r.last = b.Now
		return &b, nil
	}
	if err := r.sc.Err(); err != nil {
		return nil, fmt.Errorf("recording: line %d: %w", r.line+1, err)
	}
	return nil, io.EOF
}

// checkBatch refuses a recorded batch the page could not draw.
func checkBatch(b *Batch) error {
	for i, s := range b.Statuses {
		if !isID(s.ID) {
			return fmt.Errorf("statuses[%d].id: not an identifier", i)
		}
	}
	for i, v := range b.Vehicles {
		if !isID(v.ID) {
			return fmt.Errorf("vehicles[%d].id: not an identifier", i)
		}
		if !finite(v.X) || !finite(v.Y) {
			return fmt.Errorf("vehicles[%d]: coordinates must be finite", i)
		}
	}
	for i, p := range b.Paths {
		if len(p.Points)%2 != 0 {
			return fmt.Errorf("paths[%d].points: odd number of coordinates", i)
		}
	}
	for i, d := range b.Decisions {
		if !json.Valid(d) || len(d) == 0 || d[0] != '{' {
			return fmt.Errorf("decisions[%d]: not a JSON object", i)
		}
	}
	return nil
}

// Play feeds the recording's batches to h (a hub made with Replay) at the
// times they were recorded, on clk: a clock started at the recording's
// Start (clock.NewScaled(start, speed) plays it speed times faster than
// it was recorded at rate 1). It returns at the end of the recording (nil)
// or when ctx is done.
func Play(ctx context.Context, r *Recording, h *Hub, clk clock.Clock) error {
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		wait := time.UnixMilli(b.Now).Sub(clk.Now())
		if wait > 0 {
			t := clk.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C():
			}
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
		h.Inject(b)
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

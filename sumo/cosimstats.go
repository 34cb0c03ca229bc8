package sumo

import (
	"math"
	"slices"
)

// unitStats is what a run counts at one unit: the preempts it accepted,
// the commands it refused, its holds, and for each ambulance the request
// and hold that served it at this signal, until it passes.
type unitStats struct {
	r        *coRun
	preempts int
	refused  int
	seen     map[string]bool // request ids accepted, for counting preempts
	visits   map[string]*unitVisit
	ep       *holdEpisode
}

// unitVisit is what the unit did for one ambulance on its way.
type unitVisit struct {
	requested, held, holdEnd float64
	endedWhy                 string
}

// holdEpisode is one hold of the unit.
type holdEpisode struct {
	start    float64
	vehicles []string
	lastPass float64      // NaN: nobody it served passed during it
	passed   []*sigRecord // the passages through it, whose hold end is filled in when it ends
}

func (s *unitStats) visit(vehicle string) *unitVisit {
	v := s.visits[vehicle]
	if v == nil {
		nan := math.NaN()
		v = &unitVisit{requested: nan, held: nan, holdEnd: nan}
		s.visits[vehicle] = v
	}
	return v
}

func (s *unitStats) accepted(_ *rsu, T float64, q *rsuRequest) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if !s.seen[q.id] {
		s.seen[q.id] = true
		s.preempts++
	}
	if v := s.visit(q.vehicle); math.IsNaN(v.requested) {
		v.requested = T
	}
}

// held is a request served by the hold that is on (from its start, or
// from when the request joined it).
func (s *unitStats) held(u *rsu, T float64, q *rsuRequest) {
	if s.ep == nil {
		return
	}
	v := s.visit(q.vehicle)
	if math.IsNaN(v.held) || !math.IsNaN(v.holdEnd) {
		v.held, v.holdEnd = s.ep.start, math.NaN()
	}
	if slices.Contains(s.ep.vehicles, q.vehicle) {
		return
	}
	s.ep.vehicles = append(s.ep.vehicles, q.vehicle)
	if !s.r.onPath(q.vehicle, u.inter, u.approaches[q.approach].edge) {
		s.r.stats.offPath++
	}
}

func (s *unitStats) holdStarted(u *rsu, T float64) {
	s.ep = &holdEpisode{start: T, lastPass: math.NaN()}
	for i := range u.reqs {
		if u.reqs[i].served {
			s.held(u, T, &u.reqs[i])
		}
	}
}

func (s *unitStats) holdEnded(_ *rsu, T float64) {
	if s.ep == nil {
		return
	}
	if !math.IsNaN(s.ep.lastPass) {
		s.r.stats.holdAfterPass = append(s.r.stats.holdAfterPass, T-s.ep.lastPass)
	}
	for _, id := range s.ep.vehicles {
		if v := s.visits[id]; v != nil && math.IsNaN(v.holdEnd) {
			v.holdEnd = T
		}
	}
	for _, rec := range s.ep.passed {
		rec.holdEnd = T
	}
	s.ep = nil
}

func (s *unitStats) ended(_ *rsu, _ float64, q *rsuRequest, why string) {
	if v := s.visits[q.vehicle]; v != nil {
		v.endedWhy = why
	}
}

// passed takes an ambulance crossing the unit's stop line at T: what was
// done for it here goes into its record, and the hold it went through
// notes the passage.
func (s *unitStats) passed(_ *rsu, T float64, vehicle string, rec *sigRecord) {
	if v := s.visits[vehicle]; v != nil {
		rec.requested, rec.held, rec.holdEnd, rec.endedWhy = v.requested, v.held, v.holdEnd, v.endedWhy
		delete(s.visits, vehicle)
	}
	if s.ep != nil && slices.Contains(s.ep.vehicles, vehicle) {
		s.ep.lastPass = T
		s.ep.passed = append(s.ep.passed, rec)
		s.r.stats.holdLead = append(s.r.stats.holdLead, T-s.ep.start)
	}
}

// onPath reports whether an ambulance's route enters intersection inter
// by edge approach.
func (r *coRun) onPath(vehicle string, inter int32, approach string) bool {
	a := r.ambByID[vehicle]
	if a == nil {
		return false
	}
	for _, s := range a.trip.signals {
		if s.inter == inter && a.trip.edges[s.edgeIdx] == approach {
			return true
		}
	}
	return false
}

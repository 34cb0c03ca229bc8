package signals

import (
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultTimingMatchesMapFormatExample(t *testing.T) {
	// map-format.md: "min_green_s":7,"yellow_s":4,"all_red_s":2,"ped_clearance_s":12,"max_preempt_s":90
	tm := DefaultTiming()
	assert.Equal(t, 7*time.Second, tm.MinGreen)
	assert.Equal(t, 4*time.Second, tm.Yellow)
	assert.Equal(t, 2*time.Second, tm.AllRed)
	assert.Equal(t, 12*time.Second, tm.PedClearance)
	assert.Equal(t, 90*time.Second, tm.MaxPreempt)
	require.NoError(t, tm.Validate())
}

func TestWorstCaseEntry(t *testing.T) {
	tm := Timing{MinGreen: 5 * time.Second, PedClearance: 10 * time.Second, Yellow: 3 * time.Second, AllRed: 1500 * time.Millisecond, MaxPreempt: time.Minute}
	assert.Equal(t, 19500*time.Millisecond, tm.WorstCaseEntry())
	assert.Equal(t, 25*time.Second, DefaultTiming().WorstCaseEntry())
}

func TestTimingValidate(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*Timing)
		field string
	}{
		{"zero min green", func(t *Timing) { t.MinGreen = 0 }, "min_green_s"},
		{"negative ped clearance", func(t *Timing) { t.PedClearance = -time.Second }, "ped_clearance_s"},
		{"zero yellow", func(t *Timing) { t.Yellow = 0 }, "yellow_s"},
		{"negative all red", func(t *Timing) { t.AllRed = -1 }, "all_red_s"},
		{"max preempt below min green", func(t *Timing) { t.MaxPreempt = 6 * time.Second }, "max_preempt_s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := DefaultTiming()
			tt.mod(&tm)
			var fe *wire.FieldError
			require.ErrorAs(t, tm.Validate(), &fe)
			assert.Equal(t, tt.field, fe.Field)
		})
	}
	zeroOK := DefaultTiming()
	zeroOK.PedClearance, zeroOK.AllRed = 0, 0
	assert.NoError(t, zeroOK.Validate())
}

func stagePhases(p Plan) [][]int {
	out := make([][]int, len(p.Stages))
	for i, s := range p.Stages {
		out[i] = s.Phases
	}
	return out
}

func TestDefaultPlanGroupsByBarrier(t *testing.T) {
	tm := DefaultTiming()
	tests := []struct {
		name   string
		phases []int
		want   [][]int
	}{
		{"four-leg NEMA", []int{2, 4, 6, 8}, [][]int{{2, 6}, {4, 8}}},
		{"with lefts, unordered, repeated", []int{8, 1, 2, 6, 5, 4, 2}, [][]int{{1, 2, 5, 6}, {4, 8}}},
		{"main street only gets a pedestrian stage", []int{2, 6}, [][]int{{2, 6}, {}}},
		{"side street only gets a pedestrian stage", []int{4}, [][]int{{4}, {}}},
		{"non-NEMA numbers each get a stage", []int{2, 10, 9}, [][]int{{2}, {9}, {10}}},
		{"a lone high phase", []int{12}, [][]int{{12}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := DefaultPlan(tt.phases, 100*time.Second, 0.5, tm)
			require.NoError(t, err)
			assert.Equal(t, tt.want, stagePhases(p))
			require.NoError(t, p.Validate(tm), "a default plan is a valid plan")
		})
	}
}

func TestDefaultPlanSplits(t *testing.T) {
	tm := DefaultTiming()
	p, err := DefaultPlan([]int{2, 4, 6, 8, 9}, 120*time.Second, 0.6, tm)
	require.NoError(t, err)
	require.Len(t, p.Stages, 3)
	green := 120*time.Second - 3*tm.Clearance()
	assert.InDelta(t, 0.6*float64(green), float64(p.Stages[0].Green), 2)
	assert.Equal(t, p.Stages[1].Green, p.Stages[2].Green, "the rest is shared equally")
	var sum time.Duration
	for _, s := range p.Stages {
		sum += s.Green + tm.Clearance()
		assert.GreaterOrEqual(t, s.Green, tm.MinGreen)
	}
	assert.Equal(t, p.Cycle, sum, "greens and clearances fill the cycle exactly")

	side, err := DefaultPlan([]int{4, 8, 11}, 61*time.Second, 0.9, tm)
	require.NoError(t, err)
	assert.Equal(t, []int{4, 8}, side.Stages[0].Phases)
	assert.InDelta(t, float64(side.Stages[0].Green), float64(side.Stages[1].Green), 1, "without a main street the split is equal")
}

func TestDefaultPlanErrors(t *testing.T) {
	tm := DefaultTiming()
	tests := []struct {
		name   string
		phases []int
		cycle  time.Duration
		share  float64
		timing Timing
	}{
		{"no phases", nil, 90 * time.Second, 0.5, tm},
		{"phase 0", []int{0, 2}, 90 * time.Second, 0.5, tm},
		{"phase 17", []int{2, 17}, 90 * time.Second, 0.5, tm},
		{"share 0", []int{2, 4}, 90 * time.Second, 0, tm},
		{"share 1", []int{2, 4}, 90 * time.Second, 1, tm},
		{"cycle too short", []int{2, 4}, 25 * time.Second, 0.5, tm},
		{"side green below min", []int{2, 4}, 40 * time.Second, 0.9, tm},
		{"cycle beyond max", []int{2, 4}, MaxCycle + time.Second, 0.5, tm},
		{"bad timing", []int{2, 4}, 90 * time.Second, 0.5, Timing{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DefaultPlan(tt.phases, tt.cycle, tt.share, tt.timing)
			assert.Error(t, err)
		})
	}
}

func TestPlanValidate(t *testing.T) {
	tm := DefaultTiming()
	good := Plan{Cycle: 62 * time.Second, Stages: []Stage{{Phases: []int{2, 6}, Green: 30 * time.Second}, {Phases: []int{4, 8}, Green: 20 * time.Second}}}
	require.NoError(t, good.Validate(tm))
	tests := []struct {
		name string
		mod  func(*Plan)
	}{
		{"one stage", func(p *Plan) { p.Stages = p.Stages[:1]; p.Cycle = 36 * time.Second }},
		{"cycle mismatch", func(p *Plan) { p.Cycle = 60 * time.Second }},
		{"green below min", func(p *Plan) { p.Stages[1].Green = 5 * time.Second; p.Cycle = 47 * time.Second }},
		{"phase out of range", func(p *Plan) { p.Stages[1].Phases = []int{4, 17} }},
		{"phase twice in a stage", func(p *Plan) { p.Stages[1].Phases = []int{4, 4} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good
			p.Stages = []Stage{{Phases: append([]int(nil), good.Stages[0].Phases...), Green: good.Stages[0].Green}, {Phases: append([]int(nil), good.Stages[1].Phases...), Green: good.Stages[1].Green}}
			tt.mod(&p)
			assert.Error(t, p.Validate(tm))
		})
	}
}

func TestConflicts(t *testing.T) {
	p, err := DefaultPlan([]int{1, 2, 4, 5, 6, 8}, 90*time.Second, 0.5, DefaultTiming())
	require.NoError(t, err)
	tests := []struct {
		a, b int
		want bool
	}{
		{2, 6, false}, {1, 2, false}, {4, 8, false}, {2, 2, false},
		{2, 4, true}, {8, 5, true},
		{3, 3, true}, // not served: conflicts with everything, itself included
		{2, 3, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, p.Conflicts(tt.a, tt.b), "Conflicts(%d, %d)", tt.a, tt.b)
		assert.Equal(t, tt.want, p.Conflicts(tt.b, tt.a), "symmetric")
	}
	assert.Equal(t, []int{1, 2, 4, 5, 6, 8}, p.Phases())
	assert.Equal(t, 1, p.StageOf(8))
	assert.Equal(t, -1, p.StageOf(3))
}

func TestPlanPositionFollowsEpochAndOffset(t *testing.T) {
	p := Plan{Cycle: 90 * time.Second}
	epoch := time.Unix(0, 0)
	assert.Equal(t, time.Duration(0), p.position(epoch))
	assert.Equal(t, 5*time.Second, p.position(epoch.Add(95*time.Second)))
	assert.Equal(t, 85*time.Second, p.position(epoch.Add(-5*time.Second)), "before the epoch too")
	p.Offset = 10 * time.Second
	assert.Equal(t, 85*time.Second, p.position(epoch.Add(95*time.Second)), "an offset delays the cycle")
	p.Offset = -80 * time.Second // same as +10 s
	assert.Equal(t, 85*time.Second, p.position(epoch.Add(95*time.Second)))

	// Odd cycles and far times stay exact (no UnixNano overflow).
	q := Plan{Cycle: 97300 * time.Millisecond}
	far := time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
	for _, at := range []time.Time{far, time.Time{}, time.Date(2026, 11, 22, 8, 0, 0, 123, time.UTC)} {
		pos := q.position(at)
		assert.GreaterOrEqual(t, pos, time.Duration(0))
		assert.Less(t, pos, q.Cycle)
		assert.Equal(t, (pos+time.Second)%q.Cycle, q.position(at.Add(time.Second)), "advances with time at %v", at)
	}
}

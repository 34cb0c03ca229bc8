package signals_test

import (
	"fmt"
	"time"

	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// A simulator's view: schedule the unit at NextChange, hand it commands as
// they arrive, and read what the street saw from the change log.
func ExampleRoadside() {
	tm := signals.DefaultTiming()
	plan, err := signals.DefaultPlan([]int{2, 4, 6, 8}, 90*time.Second, 0.6, tm)
	if err != nil {
		panic(err)
	}
	start := time.Unix(1_800_000_000, 0).UTC() // a multiple of the 90 s cycle: stage 2+6 starts here
	unit, err := signals.NewRoadside("I-204", plan, tm)
	if err != nil {
		panic(err)
	}
	unit.Advance(start)

	now := start.Add(3 * time.Second)
	err = unit.Apply(now, wire.Command{
		Type: wire.CommandPreempt, RequestID: "amb-17.I-204.3", ControllerID: "cc-1",
		IntersectionID: "I-204", VehicleID: "amb-17", Approach: "NB", Phase: 4,
		Priority: 1, EtaS: 20, IssuedAt: now, ExpiresAt: now.Add(40 * time.Second),
	})
	if err != nil {
		panic(err)
	}
	// Run the next eight transitions, each at its exact time.
	for i := 0; i < 8; i++ {
		unit.Advance(unit.NextChange())
	}
	for _, c := range unit.DrainChanges() {
		if c.Phase == 0 {
			fmt.Printf("%5.1fs  state %s\n", c.At.Sub(start).Seconds(), c.State)
		} else if c.Phase == 2 || c.Phase == 4 { // 6 and 8 move with them
			fmt.Printf("%5.1fs  phase %d %s\n", c.At.Sub(start).Seconds(), c.Phase, c.To)
		}
	}
	// Output:
	//   0.0s  phase 2 green
	//   0.0s  state normal
	//   3.0s  state entry
	//  19.0s  phase 2 yellow
	//  23.0s  phase 2 red
	//  25.0s  state hold
	//  25.0s  phase 4 green
	//  43.0s  state normal
	//  84.0s  phase 4 yellow
	//  88.0s  phase 4 red
	//  90.0s  phase 2 green
	// 136.8s  phase 2 yellow
}

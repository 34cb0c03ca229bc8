package traci

import (
	"fmt"
	"testing"
)

// BenchmarkStepEmpty measures one simulationStep round trip against a real
// SUMO with no vehicles (the simulation subscription only): the fixed cost
// of a co-simulation step.
func BenchmarkStepEmpty(b *testing.B) {
	p := startCross(b)
	if err := p.SubscribeSimulation(SimTime, SimDepartedIDs, SimArrivedIDs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Step(0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStep100Vehicles is the same step with 100 vehicles standing in
// front of a red light, each subscribed to DefaultVehicleVars. The
// difference from BenchmarkStepEmpty, divided by 100, is the cost of one
// subscribed vehicle (SUMO's and the client's together).
func BenchmarkStep100Vehicles(b *testing.B) { benchmarkStepVehicles(b, true) }

// BenchmarkStep100VehiclesUnsubscribed has the same 100 vehicles without
// subscriptions: what SUMO spends simulating them, to tell apart from what
// subscribing to them costs.
func BenchmarkStep100VehiclesUnsubscribed(b *testing.B) { benchmarkStepVehicles(b, false) }

func benchmarkStepVehicles(b *testing.B, subscribe bool) {
	const n = 100
	p := startCross(b, "--time-to-teleport", "-1")
	if err := p.SubscribeSimulation(SimTime, SimDepartedIDs, SimArrivedIDs); err != nil {
		b.Fatal(err)
	}
	fillQueues(b, p, n, subscribe)
	res, err := p.Step(0)
	if err != nil {
		b.Fatal(err)
	}
	if want := map[bool]int{true: n}[subscribe]; len(res.Vehicles) != want {
		b.Fatalf("%d vehicles subscribed, want %d", len(res.Vehicles), want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Step(0); err != nil {
			b.Fatal(err)
		}
	}
}

// fillQueues holds the junction red and inserts n vehicles on its four
// approaches, subscribing to each as it departs if asked to.
func fillQueues(b *testing.B, p *Process, n int, subscribe bool) {
	b.Helper()
	if err := p.SetRedYellowGreenState("C", "rrrrrrrrrrrrrrrrrr"); err != nil {
		b.Fatal(err)
	}
	routes := map[string][]string{"we": {"WC", "CE"}, "ew": {"EC", "CW"}, "ns": {"NC", "CS"}, "sn": {"SC", "CN"}}
	names := []string{"we", "ew", "ns", "sn"}
	for id, edges := range routes {
		if err := p.AddRoute(id, edges); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		// The two-lane east-west approaches take three vehicles in four.
		r := names[[]int{0, 1, 0, 1, 2, 0, 1, 3}[i%8]]
		if err := p.AddVehicle(VehicleAdd{ID: fmt.Sprint("v", i), RouteID: r, DepartLane: "free", DepartSpeed: "max"}); err != nil {
			b.Fatal(err)
		}
	}
	departed := 0
	for step := 0; departed < n; step++ {
		if step > 2000 {
			b.Fatalf("only %d of %d vehicles inserted", departed, n)
		}
		res, err := p.Step(0)
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range res.Sim.DepartedIDs {
			if subscribe {
				if err := p.SubscribeVehicle(id); err != nil {
					b.Fatal(err)
				}
			}
			departed++
		}
	}
}

// BenchmarkDecodeStep100Vehicles is the client's share of a 100-vehicle
// step: decoding the subscription results, without SUMO.
func BenchmarkDecodeStep100Vehicles(b *testing.B) {
	var e encoder
	e.reset()
	statusCmd(&e, cmdSimStep, rtypeOK, "")
	e.i32(100)
	for i := 0; i < 100; i++ {
		e.begin(cmdSubscribeVehicle + responseOffset)
		e.str(fmt.Sprint("vehicle-", i))
		e.u8(6)
		e.u8(varPosition)
		e.u8(rtypeOK)
		e.u8(type2D)
		e.f64(float64(i))
		e.f64(2)
		for _, v := range []byte{varSpeed, varAngle, varLanePos} {
			e.u8(v)
			e.u8(rtypeOK)
			e.typedDouble(1)
		}
		e.u8(varRoadID)
		e.u8(rtypeOK)
		e.typedString(fmt.Sprint("edge-", i%7))
		e.u8(varLaneID)
		e.u8(rtypeOK)
		e.typedString(fmt.Sprint("edge-", i%7, "_0"))
		e.end()
	}
	msg := e.finish()[4:]
	var c Client
	var res StepResult
	in := &interner{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := decoder{b: msg, intern: in}
		if err := c.status(&d, &pendingCmd{cmd: cmdSimStep, name: "simulationStep"}); err != nil {
			b.Fatal(err)
		}
		decodeStep(&d, &res)
		if d.err != nil || len(res.Vehicles) != 100 {
			b.Fatal(d.err)
		}
	}
}

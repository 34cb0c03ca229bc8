package service

import (
	"testing"

	"github.com/paulmach/orb"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/registry"
	"github.com/greenwave-project/greenwave/routing"
)

// BenchmarkRefuseUnregistered is what a junk message costs the controller
// once the MQTT client has handed it over: the topic parsed, the vehicle
// looked up and refused, the refusal counted (metrics and the window's
// summary). A flood's cost beyond that is the broker's and the MQTT
// client's.
func BenchmarkRefuseUnregistered(b *testing.B) {
	reg, err := registry.ParseCSV([]byte("vehicle_id\namb-1\n"))
	if err != nil {
		b.Fatal(err)
	}
	proj := routing.NewProjection(orb.Point{6.1, 49.6})
	ll := func(x float64) orb.Point { return proj.ToLonLat(routing.XY{X: x}) }
	net, err := routing.Build(&routing.Inventory{
		Roads: []routing.Road{{ID: "a", SpeedMps: 13.9, Coords: []orb.Point{ll(0), ll(500)}}},
		Intersections: []routing.Intersection{{ID: "J1", LonLat: ll(500),
			Timing:     routing.Timing{MinGreenS: 5, YellowS: 3, AllRedS: 1, MaxPreemptS: 60},
			Approaches: []routing.Approach{{ID: "EB", BearingDeg: 90, Phase: 2}}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	s, err := New(net, Config{Topics: topics, Engine: controller.Config{ControllerID: "cc-1"}, Registry: reg})
	if err != nil {
		b.Fatal(err)
	}
	topic := topics.Position("mallory")
	payload := []byte(`{"vehicle_id":"mallory","seq":1,"ts":"2026-11-22T08:00:00Z","lat":49.6,"lon":6.1,"emergency":true}`)
	b.ReportAllocs()
	for b.Loop() {
		s.onMessage(topic, payload)
	}
	if len(s.inputs) != 0 {
		b.Fatal("a refused message reached the engine's queue")
	}
}

package service

import (
	"testing"

	"github.com/paulmach/orb"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/routing"
)

func fuzzService(f *testing.F) *Service {
	proj := routing.NewProjection(orb.Point{6.1, 49.6})
	ll := func(x, y float64) orb.Point { return proj.ToLonLat(routing.XY{X: x, Y: y}) }
	inv := &routing.Inventory{
		Roads: []routing.Road{{ID: "a", SpeedMps: 13.9, Coords: []orb.Point{ll(0, 0), ll(500, 0)}},
			{ID: "b", SpeedMps: 13.9, Coords: []orb.Point{ll(500, 0), ll(1000, 0)}}},
		Intersections: []routing.Intersection{{ID: "I1", LonLat: ll(500, 0), Timing: routing.DefaultTiming(),
			Approaches: []routing.Approach{{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6}}}},
	}
	net, err := routing.Build(inv)
	if err != nil {
		f.Fatal(err)
	}
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	s, err := New(net, Config{Topics: topics, Engine: controller.Config{ControllerID: "fuzz"}, InputQueue: 4})
	if err != nil {
		f.Fatal(err)
	}
	return s
}

// FuzzOnMessage feeds arbitrary topics and payloads to the delivery
// handler: it must never panic, never block, and queue an input for the
// engine only when the message is valid for its topic.
func FuzzOnMessage(f *testing.F) {
	s := fuzzService(f)
	f.Add("greenwave/v1/vehicles/amb-1/position", []byte(`{"vehicle_id":"amb-1","seq":1,"ts":"2026-11-22T08:00:00Z","lat":49.6,"lon":6.1,"emergency":true}`))
	f.Add("greenwave/v1/vehicles/amb-1/route", []byte(`{"vehicle_id":"amb-1","ts":"2026-11-22T08:00:00Z","path":[[6.1,49.6],[6.11,49.6]]}`))
	f.Add("greenwave/v1/vehicles/amb-1/route", []byte{})
	f.Add("greenwave/v1/signals/I1/status", []byte(`{"intersection_id":"I1","ts":"2026-11-22T08:00:00Z","state":"hold","green_phases":[2]}`))
	f.Add("greenwave/v1/signals/I1/status", []byte(`{"intersection_id":"I2","ts":"2026-11-22T08:00:00Z","state":"hold"}`))
	f.Add("greenwave/v1/vehicles/x y/position", []byte(`{}`))
	f.Add("greenwave/v1/controllers/c/status", []byte(`null`))
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		for len(s.inputs) > 0 { // keep the queue from filling across inputs
			<-s.inputs
		}
		s.onMessage(topic, payload)
		if len(s.inputs) == 0 {
			return
		}
		in := <-s.inputs
		kind, id, ok := s.topics.Parse(topic)
		if !ok {
			t.Fatalf("queued an input from foreign topic %q", topic)
		}
		var err error
		switch kind {
		case mqttx.KindPosition:
			err = in.in.Position.Validate()
			if in.in.Position.VehicleID != id {
				t.Fatalf("position of %q queued from topic of %q", in.in.Position.VehicleID, id)
			}
		case mqttx.KindRoute:
			if in.in.Route.VehicleID != id {
				t.Fatalf("route of %q queued from topic of %q", in.in.Route.VehicleID, id)
			}
		case mqttx.KindSignalStatus:
			err = in.in.Status.Validate()
			if in.in.Status.IntersectionID != id {
				t.Fatalf("status of %q queued from topic of %q", in.in.Status.IntersectionID, id)
			}
		default:
			t.Fatalf("queued an input of kind %v", kind)
		}
		if err != nil {
			t.Fatalf("queued an invalid input: %v", err)
		}
	})
}

package mqttx

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTopicsRoundTrip(t *testing.T) {
	for _, root := range []string{"greenwave", "city-a/greenwave"} {
		tp, err := NewTopics(root)
		require.NoError(t, err)
		cases := []struct {
			topic string
			kind  Kind
			id    string
		}{
			{tp.Position("amb-17"), KindPosition, "amb-17"},
			{tp.Route("amb-17"), KindRoute, "amb-17"},
			{tp.Advisory("amb-17"), KindAdvisory, "amb-17"},
			{tp.Command("I-204"), KindCommand, "I-204"},
			{tp.SignalStatus("I-204"), KindSignalStatus, "I-204"},
			{tp.ControllerStatus("cc-1"), KindControllerStatus, "cc-1"},
		}
		for _, c := range cases {
			kind, id, ok := tp.Parse(c.topic)
			require.True(t, ok, c.topic)
			assert.Equal(t, c.kind, kind, c.topic)
			assert.Equal(t, c.id, id, c.topic)
		}
	}
}

func TestTopicsMatchSpec(t *testing.T) {
	tp, err := NewTopics(DefaultRoot)
	require.NoError(t, err)
	assert.Equal(t, "greenwave/v1/vehicles/amb-17/position", tp.Position("amb-17"))
	assert.Equal(t, "greenwave/v1/vehicles/amb-17/route", tp.Route("amb-17"))
	assert.Equal(t, "greenwave/v1/vehicles/amb-17/advisory", tp.Advisory("amb-17"))
	assert.Equal(t, "greenwave/v1/signals/I-204/command", tp.Command("I-204"))
	assert.Equal(t, "greenwave/v1/signals/I-204/status", tp.SignalStatus("I-204"))
	assert.Equal(t, "greenwave/v1/controllers/cc-1/status", tp.ControllerStatus("cc-1"))
	assert.Equal(t, "greenwave/v1/vehicles/+/position", tp.Filter(KindPosition))
	assert.Equal(t, "greenwave/v1/controllers/+/status", tp.Filter(KindControllerStatus))
}

func TestTopicsParseRejectsForeignTopics(t *testing.T) {
	tp, err := NewTopics(DefaultRoot)
	require.NoError(t, err)
	for _, topic := range []string{
		"", "greenwave", "greenwave/v1", "greenwave/v2/vehicles/a/position",
		"other/v1/vehicles/a/position", "greenwave/v1/vehicles//position",
		"greenwave/v1/vehicles/a/position/extra", "greenwave/v1/vehicles/a/command",
		"greenwave/v1/signals/a/position", "greenwave/v1/trucks/a/position",
	} {
		_, _, ok := tp.Parse(topic)
		assert.False(t, ok, topic)
	}
}

func TestNewTopicsRejectsBadRoots(t *testing.T) {
	for _, root := range []string{"", "/greenwave", "greenwave/", "a//b", "green+wave", "g#"} {
		_, err := NewTopics(root)
		assert.Error(t, err, root)
	}
}

func FuzzTopicsParse(f *testing.F) {
	tp, _ := NewTopics(DefaultRoot)
	f.Add(tp.Position("amb-1"))
	f.Add(tp.Command("I-1"))
	f.Add("greenwave/v1/x/y/z")
	f.Fuzz(func(t *testing.T, topic string) {
		kind, id, ok := tp.Parse(topic)
		if !ok {
			return
		}
		// Whatever parses must rebuild to the same topic.
		var rebuilt string
		switch kind {
		case KindPosition:
			rebuilt = tp.Position(id)
		case KindRoute:
			rebuilt = tp.Route(id)
		case KindAdvisory:
			rebuilt = tp.Advisory(id)
		case KindCommand:
			rebuilt = tp.Command(id)
		case KindSignalStatus:
			rebuilt = tp.SignalStatus(id)
		case KindControllerStatus:
			rebuilt = tp.ControllerStatus(id)
		default:
			t.Fatalf("ok with kind %v", kind)
		}
		if rebuilt != topic {
			t.Fatalf("parse(%q) = %v %q, rebuilds to %q", topic, kind, id, rebuilt)
		}
	})
}

func TestQueueKeepsOrderAcrossRetries(t *testing.T) {
	q := NewQueue()
	for _, topic := range []string{"a", "b", "c"} {
		q.Push(Message{Topic: topic})
	}
	<-q.Wake()
	got := q.Take()
	require.Len(t, got, 3)
	q.Push(Message{Topic: "d"})
	q.PushFront(got[1:]) // "a" went out, "b" failed
	var topics []string
	for _, m := range q.Take() {
		topics = append(topics, m.Topic)
	}
	assert.Equal(t, []string{"b", "c", "d"}, topics)
	assert.Equal(t, 0, q.Len())
}

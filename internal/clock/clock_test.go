package clock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestScaledRunsFaster(t *testing.T) {
	origin := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	c := NewScaled(origin, 50)
	realStart := time.Now()
	timer := c.NewTimer(time.Second) // 20 ms of real time
	<-timer.C()
	realElapsed := time.Since(realStart)
	clockElapsed := c.Now().Sub(origin)
	// The clock has moved at least the timer's duration, and by the
	// scaled real time (measured around it, so the bounds are safe).
	assert.GreaterOrEqual(t, clockElapsed, time.Second)
	assert.GreaterOrEqual(t, clockElapsed, time.Duration(float64(realElapsed)*50)-time.Millisecond*50)
	assert.LessOrEqual(t, clockElapsed, time.Duration(float64(time.Since(realStart))*50)+time.Millisecond)
}

func TestResetScales(t *testing.T) {
	c := NewScaled(time.Unix(0, 0), 1000)
	timer := c.NewTimer(time.Hour)
	timer.Reset(10 * time.Second) // 10 ms real
	select {
	case <-timer.C():
	case <-time.After(5 * time.Second):
		t.Fatal("reset timer did not fire")
	}
}

func TestWall(t *testing.T) {
	before := time.Now()
	assert.False(t, Wall{}.Now().Before(before))
	timer := Wall{}.NewTimer(0)
	<-timer.C()
}

func TestScaledRejectsNonPositiveFactor(t *testing.T) {
	assert.Panics(t, func() { NewScaled(time.Now(), 0) })
}

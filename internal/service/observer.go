package service

import (
	"time"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/wire"
)

// Observer watches what the service accepts and decides, for a display
// (the operator page, internal/web). Its methods run on the engine
// goroutine, so they must return at once: copy what is needed and hand it
// to another goroutine, never wait on a client. The slices inside a Ready
// are the engine's buffers, valid only during the call.
type Observer interface {
	// ObservePosition is a fix the engine accepted at now, with the
	// engine's view of the vehicle after it (its path, where on it).
	ObservePosition(now time.Time, p wire.Position, v controller.VehicleView)
	// ObserveStatus is a roadside status the engine accepted at now.
	ObserveStatus(now time.Time, s wire.Status)
	// ObserveReady is what one Step or Tick decided: decisions, advisories
	// and commands.
	ObserveReady(now time.Time, rd controller.Ready)
}

// observeInput tells the observer about an input the engine accepted.
func (s *Service) observeInput(now time.Time, in controller.Input) {
	switch in.Kind {
	case controller.InputPosition:
		v, _ := s.engine.ViewVehicle(in.Position.VehicleID)
		s.obs.ObservePosition(now, in.Position, v)
	case controller.InputStatus:
		s.obs.ObserveStatus(now, in.Status)
	}
}

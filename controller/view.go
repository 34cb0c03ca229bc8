package controller

import "github.com/greenwave-project/greenwave/routing"

// VehicleView is what a display (the operator page, internal/web) shows of
// one tracked vehicle beyond its fixes: the path the engine follows it on
// and where on that path its last fix put it. The engine derives paths it
// is never sent (a route to a destination, the road ahead, their
// extensions), so a display cannot draw the path ahead without asking.
type VehicleView struct {
	// Path is the engine's own path for the vehicle, nil while it has
	// none. Paths are immutable: it may be read from any goroutine and
	// kept after the engine has moved on to another.
	Path      *routing.Path
	AlongM    float64 // on Path, where the last fix was located
	OnPath    bool    // the last fix was located on Path
	Emergency bool    // the last fix reported an emergency run
}

// ViewVehicle returns the view of vehicle id, and false when the engine
// does not track it. It only reads: calling it between Steps changes
// nothing the engine decides. Like every method, it must be called from
// the goroutine that drives the engine.
func (e *Engine) ViewVehicle(id string) (VehicleView, bool) {
	v := e.vehicles[id]
	if v == nil {
		return VehicleView{}, false
	}
	return VehicleView{Path: v.path, AlongM: v.along, OnPath: v.onPath, Emergency: v.emergency}, true
}

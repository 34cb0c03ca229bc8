package routing

// ETA is an estimated time of arrival with its uncertainty band, in seconds from now.
type ETA struct{ S, MinS, MaxS float64 }

// ETA estimates the time to travel from fromAlong to toAlong.
func (p *Path) ETA(fromAlong, toAlong, smoothedSpeedMps float64) ETA { return ETA{} }

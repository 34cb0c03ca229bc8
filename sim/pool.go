package sim

// SlotPool stores message payloads for in-flight events by index, reusing
// freed slots, so that events stay plain data and a simulation's steady
// state allocates nothing. The co-simulation with SUMO uses it too.
type SlotPool[T any] struct {
	items []T
	free  []int32
}

// Put stores x and returns its slot.
func (p *SlotPool[T]) Put(x T) int32 {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		p.items[i] = x
		return i
	}
	p.items = append(p.items, x)
	return int32(len(p.items) - 1)
}

// Take returns what slot i holds and frees the slot.
func (p *SlotPool[T]) Take(i int32) T {
	x := p.items[i]
	var zero T
	p.items[i] = zero
	p.free = append(p.free, i)
	return x
}

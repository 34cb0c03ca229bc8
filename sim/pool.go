package sim

// slotPool stores message payloads for in-flight events by index, reusing
// freed slots, so events stay plain data and steady state allocates
// nothing.
type slotPool[T any] struct {
	items []T
	free  []int32
}

func (p *slotPool[T]) put(x T) int32 {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		p.items[i] = x
		return i
	}
	p.items = append(p.items, x)
	return int32(len(p.items) - 1)
}

func (p *slotPool[T]) take(i int32) T {
	x := p.items[i]
	var zero T
	p.items[i] = zero
	p.free = append(p.free, i)
	return x
}

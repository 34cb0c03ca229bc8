// Package clock is the one place the live processes read time from. The
// service, the roadside-unit simulator and the demo's ambulances take a
// Clock, so the demo can run all of them on one clock that goes N times
// faster than the wall clock — and a 4-minute trip plays in 24 seconds
// with every lease, timeout and signal interval scaled alike.
package clock

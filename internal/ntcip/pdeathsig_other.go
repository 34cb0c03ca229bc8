//go:build !linux

package ntcip

import "os/exec"

// setParentDeathSignal does nothing where the kernel has no parent-death
// signal: stop the virtual controller with SIGTERM so that it stops snmpd.
func setParentDeathSignal(*exec.Cmd) {}

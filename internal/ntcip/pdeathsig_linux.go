package ntcip

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal has the kernel kill snmpd when the virtual
// controller dies, however it dies: an snmpd left behind would keep the
// port and answer for a controller that no longer exists.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

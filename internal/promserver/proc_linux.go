package promserver

import (
	"os/exec"
	"syscall"
)

// setProcAttr kills Prometheus when the test binary dies without cleanup.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

//go:build unix

package builder

import (
	"os/exec"
	"syscall"
)

// killGroup makes cmd the leader of a new process group and, on
// cancellation, kills the whole group, so nothing npm started outlives a
// stopped build.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

//go:build unix

// Package procgroup runs build tools (the go command, npm) in a process
// group of their own, so that stopping a build stops everything the tool
// started: compile and link processes, install scripts' children.
package procgroup

import (
	"os/exec"
	"syscall"
)

// Set makes cmd the leader of a new process group and, on cancellation of
// its context, kills the whole group.
func Set(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

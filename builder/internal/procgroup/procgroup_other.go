//go:build !unix

// Package procgroup runs build tools in a process group of their own where
// the system has them.
package procgroup

import "os/exec"

// Set leaves cmd as is: without process groups, cancellation kills the
// tool itself only.
func Set(*exec.Cmd) {}

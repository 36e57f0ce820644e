//go:build !unix

package builder

import "os/exec"

// killGroup leaves cmd as is: without process groups, cancellation kills
// npm itself only.
func killGroup(*exec.Cmd) {}

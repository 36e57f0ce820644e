//go:build !unix

package golang

import "os/exec"

// killGroup leaves the default: exec kills the go command itself.
func killGroup(*exec.Cmd) {}

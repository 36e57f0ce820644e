package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ownerFile records the pid of the process that started the server, so a
// later Start can tell a server whose owner died (stop it) from one whose
// owner still runs (leave it alone).
const ownerFile = "kiln-owner.pid"

// postmasterPID reads the server pid from <dir>/postmaster.pid; 0 if none.
func postmasterPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return 0
	}
	return pid
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// processKind tells what a live pid is, so a recycled pid of an unrelated
// program is never signalled.
type processKind int

const (
	otherProcess processKind = iota
	postmasterProcess
	// backendProcess is a postgres child; it retitles itself "postgres: …".
	backendProcess
)

func kindOf(pid int) processKind {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return otherProcess
	}
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	switch {
	case filepath.Base(string(argv0)) == "postgres", filepath.Base(string(argv0)) == "postmaster":
		return postmasterProcess
	case bytes.HasPrefix(argv0, []byte("postgres: ")):
		return backendProcess
	}
	return otherProcess
}

// isPostgres reports whether pid is a live postmaster.
func isPostgres(pid int) bool { return processAlive(pid) && kindOf(pid) == postmasterProcess }

// parentPID returns the parent of pid from /proc, 0 if unknown.
func parentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// "pid (comm) state ppid …": comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func readOwner(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func writeOwner(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("recording server owner: %w", err)
	}
	return nil
}

// clearLeftovers makes the directory startable after the process that ran
// the server died:
//   - a postmaster still running whose owner is gone (its parent is no longer
//     the recorded owner, or the owner is this very process that lost its
//     handle) is asked for a fast shutdown and awaited;
//   - a postmaster still running under a live owner is left alone: ErrInUse;
//   - a postmaster.pid naming a live process that is not postgres (pids are
//     reused, notably after a container restart) is removed, since postgres
//     would otherwise refuse to start; a pid that is gone is left to postgres.
func (c *Cluster) clearLeftovers(ctx context.Context) error {
	pid := postmasterPID(c.Dir)
	if pid <= 0 || !processAlive(pid) {
		return nil
	}
	switch kindOf(pid) {
	case backendProcess:
		// The pid was reused by a backend of some cluster; postgres's own
		// shared-memory interlock decides whether it belongs to this one.
		return nil
	case otherProcess:
		c.logger().Warn("removing postmaster.pid naming a process that is not postgres", "pid", pid)
		if err := os.Remove(filepath.Join(c.Dir, "postmaster.pid")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale postmaster.pid: %w", err)
		}
		return nil
	}
	owner, ppid := readOwner(c.Dir), parentPID(pid)
	if owner != 0 && owner != os.Getpid() && ppid == owner && processAlive(owner) {
		return fmt.Errorf("postgres pid %d on %s, started by live process %d: %w", pid, c.Dir, owner, ErrInUse)
	}
	c.logger().Warn("stopping postgres left running by an earlier process", "pid", pid, "owner", owner)
	_ = syscall.Kill(pid, syscall.SIGINT) // fast shutdown
	if waitGone(ctx, pid, 30*time.Second) {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	_ = syscall.Kill(pid, syscall.SIGQUIT) // immediate shutdown
	if waitGone(ctx, pid, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("postgres pid %d on %s does not stop: %w", pid, c.Dir, ErrInUse)
}

// waitGone polls until pid exits, the timeout passes or ctx ends.
func waitGone(ctx context.Context, pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if !processAlive(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

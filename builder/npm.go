package builder

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/builder/internal/procgroup"
)

// npmInstall runs `npm ci --ignore-scripts` in dir (a scratch copy of the
// source) with its output streamed to log. npm's cache lives in the
// builder's cache folder, so later builds of the same lockfile need no
// network. Flags given on the command line outrank a project's .npmrc, so
// a deployment cannot move the cache or turn scripts back on.
func (b *Builder) npmInstall(ctx context.Context, dir, lock, home string, log io.Writer) error {
	npm, err := lookNPM()
	if err != nil {
		return buildErr(ErrNoNPM, Message{File: lock, Text: "the dependencies in " + lock +
			" need npm to install and this Kiln node has none: install Node.js and npm on the node, or deploy the folder with node_modules"})
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		return fmt.Errorf("creating npm home: %w", err)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, b.cfg.Timeout, ErrTimeout)
	defer cancel()
	args := []string{"ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline",
		"--cache", filepath.Join(b.cfg.CacheDir, "npm"), "--loglevel", "warn", "--logs-max", "0"}
	fmt.Fprintf(log, "$ npm %s (from %s)\n", strings.Join(args[:2], " "), lock)
	started := time.Now()
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "TMPDIR="+home)
	cmd.WaitDelay = 5 * time.Second
	procgroup.Set(cmd)
	out := &npmOutput{w: log}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	switch {
	case err != nil && context.Cause(ctx) == ErrTimeout:
		return buildErr(ErrTimeout, Message{File: lock, Text: fmt.Sprintf("installing dependencies took longer than the %v build time limit and was stopped", b.cfg.Timeout)})
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("installing javascript dependencies: %w", context.Cause(ctx))
	case err != nil:
		text := "npm ci failed (" + err.Error() + ")"
		if lines := out.reason(); len(lines) > 0 {
			text += ":\n" + strings.Join(lines, "\n")
		}
		return buildErr(ErrInstall, Message{File: lock, Text: text})
	}
	fmt.Fprintf(log, "Installed dependencies in %v\n", roundDuration(time.Since(started)))
	return nil
}

// lookNPM finds npm on PATH.
func lookNPM() (string, error) { return exec.LookPath("npm") }

// npmOutput passes npm's output through and keeps what explains a
// failure: the first error lines (npm prints the reason first, then its
// usage text), else the last lines.
type npmOutput struct {
	mu     sync.Mutex
	usage  bool // npm began printing its usage text: nothing more to keep
	w      io.Writer
	part   strings.Builder
	errors []string
	last   []string
}

const npmKeptLines = 10

func (o *npmOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.part.Write(p)
	lines := strings.Split(o.part.String(), "\n")
	o.part.Reset()
	o.part.WriteString(lines[len(lines)-1])
	for _, l := range lines[:len(lines)-1] {
		o.keep(l)
	}
	o.mu.Unlock()
	return o.w.Write(p)
}

func (o *npmOutput) keep(line string) {
	line = strings.TrimRight(line, "\r")
	text := strings.TrimSpace(line)
	for _, prefix := range []string{"npm error", "npm ERR!"} {
		if rest, ok := strings.CutPrefix(text, prefix); ok {
			rest = strings.TrimSpace(rest)
			if rest == "Usage:" && !o.usage && len(o.errors) > 0 {
				// The line before is the command's one-line summary.
				o.usage, o.errors = true, o.errors[:len(o.errors)-1]
			}
			if !o.usage && rest != "" && len(o.errors) < npmKeptLines {
				o.errors = append(o.errors, rest)
			}
			return
		}
	}
	if text == "" {
		return
	}
	o.last = append(o.last, text)
	if len(o.last) > npmKeptLines {
		o.last = o.last[1:]
	}
}

// reason is the kept output for an error message.
func (o *npmOutput) reason() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s := o.part.String(); s != "" {
		o.keep(s)
		o.part.Reset()
	}
	if len(o.errors) > 0 {
		return o.errors
	}
	return o.last
}

// Package golang compiles a Go deployment that uses the Kiln Go SDK into a
// wasip1 reactor module (go build -buildmode=c-shared), offline: the SDK
// comes from builder/gosdk, other modules must be vendored, and the build
// runs with GOPROXY=off under a time limit, with its output streamed as a
// log and its errors turned into file:line messages relative to the source.
package golang

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kilnhq/kiln/builder/diag"
	"github.com/kilnhq/kiln/builder/gosdk"
	"github.com/kilnhq/kiln/builder/internal/procgroup"
)

// Config says where the Go toolchain and the caches are. The zero value of
// each field other than CacheDir selects the documented default.
type Config struct {
	// CacheDir holds the shared Go build cache (CacheDir/gocache), a private
	// GOPATH and module cache (CacheDir/gopath), the extracted SDK and the
	// builds' scratch folders (CacheDir/work). Required. Builds may share
	// it concurrently, also across processes; the go command trims old
	// build cache entries by itself.
	CacheDir string
	// GoRoot is the Go installation to build with (its bin/go). Default:
	// the GOROOT this binary was built with if it holds bin/go, else the
	// go command on PATH.
	GoRoot string
	// Timeout bounds one build, go.mod preparation included. Default 5 min.
	Timeout time.Duration
	// MaxOutputBytes caps the size of the compiled module. Default 64 MiB.
	MaxOutputBytes int64
	// Logger receives operational records (not the user's build log).
	// Default: discard.
	Logger *slog.Logger
}

const (
	defaultTimeout        = 5 * time.Minute
	defaultMaxOutputBytes = 64 << 20
	// waitDelay bounds how long a killed build may hold its output pipes.
	waitDelay = 5 * time.Second
)

// Builder compiles Go deployments. It is safe for concurrent use.
type Builder struct {
	cfg       Config
	goBin     string
	goVersion string // "go1.26.8"
	goLang    string // "1.26", for generated go.mod files
}

// New finds the go command and checks that it runs.
func New(cfg Config) (*Builder, error) {
	if cfg.CacheDir == "" {
		return nil, errors.New("golang: Config.CacheDir is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.MaxOutputBytes <= 0 {
		cfg.MaxOutputBytes = defaultMaxOutputBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(cfg.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("resolving cache dir: %w", err)
	}
	cfg.CacheDir = abs
	goBin, err := findGo(cfg.GoRoot)
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(goBin, "env", "GOVERSION").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s env: %w", goBin, err)
	}
	b := &Builder{cfg: cfg, goBin: goBin, goVersion: strings.TrimSpace(string(out))}
	b.goLang = langVersion(b.goVersion)
	return b, nil
}

func findGo(goRoot string) (string, error) {
	if goRoot != "" {
		p := filepath.Join(goRoot, "bin", "go")
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("finding go in Config.GoRoot: %w", err)
		}
		return p, nil
	}
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); runtime.GOROOT() != "" {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("finding the go command: %w", err)
	}
	return p, nil
}

// langVersion turns "go1.26.8" into "1.26".
func langVersion(v string) string {
	v = strings.TrimPrefix(v, "go")
	if parts := strings.SplitN(v, ".", 3); len(parts) >= 2 {
		return parts[0] + "." + strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
	}
	return v
}

// GoVersion is the version of the go command builds use, like "go1.26.8".
func (b *Builder) GoVersion() string { return b.goVersion }

// Request is one build.
type Request struct {
	// SourceDir is the deployment's source. It is copied, never modified.
	SourceDir string
	// Package is the main package to build, relative to SourceDir.
	// Default ".".
	Package string
	// Log receives the build log, line by line, as the build runs. Paths
	// in it are relative to SourceDir. Default: discard.
	Log io.Writer
}

// Result is a successful build.
type Result struct {
	Wasm     []byte         // the module as the linker wrote it
	Warnings []diag.Message // things the user may want to fix
	Duration time.Duration  // wall time of the whole build
}

// Build compiles req.SourceDir for wasip1 as a reactor module. A failure
// caused by the deployment (compile errors, missing dependencies, time
// limit, output size) is a *diag.BuildError wrapping ErrCompile,
// ErrTimeout, ErrTooLarge or ErrBadSource; other errors are failures of
// the build machine or ctx's.
func (b *Builder) Build(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	pkg := req.Package
	if pkg == "" {
		pkg = "."
	}
	pkg = filepath.ToSlash(filepath.Clean(pkg))
	if !filepath.IsLocal(pkg) {
		return nil, &diag.BuildError{Err: ErrBadSource, Messages: []diag.Message{{Text: fmt.Sprintf("package %q is not inside the source folder", req.Package)}}}
	}
	if req.Log == nil {
		req.Log = io.Discard
	}
	ctx, cancel := context.WithTimeoutCause(ctx, b.cfg.Timeout, ErrTimeout)
	defer cancel()

	j, err := b.newJob(req.Log)
	if err != nil {
		return nil, err
	}
	defer j.cleanup()
	wasm, err := j.run(ctx, req.SourceDir, pkg)
	if err != nil && ctx.Err() != nil {
		if context.Cause(ctx) == ErrTimeout {
			j.logf("Stopped: the build took longer than %v", b.cfg.Timeout)
			return nil, &diag.BuildError{Err: ErrTimeout, Messages: []diag.Message{{
				Text: fmt.Sprintf("the build took longer than its %v time limit and was stopped", b.cfg.Timeout),
			}}}
		}
		return nil, fmt.Errorf("building Go: %w", context.Cause(ctx))
	}
	if err != nil {
		return nil, err
	}
	return &Result{Wasm: wasm, Warnings: j.warnings, Duration: time.Since(start)}, nil
}

// job is the state of one build.
type job struct {
	b        *Builder
	log      *lineWriter
	work     string // private scratch folder
	src      string // copy of the source
	sdk      string // extracted SDK
	warnings []diag.Message
}

func (b *Builder) newJob(log io.Writer) (*job, error) {
	workRoot := filepath.Join(b.cfg.CacheDir, "work")
	if err := os.MkdirAll(workRoot, 0o755); err != nil {
		return nil, fmt.Errorf("creating work dir: %w", err)
	}
	work, err := os.MkdirTemp(workRoot, "go-")
	if err != nil {
		return nil, fmt.Errorf("creating work dir: %w", err)
	}
	j := &job{b: b, work: work, src: filepath.Join(work, "src")}
	j.log = newLineWriter(log, j.relativize)
	return j, nil
}

func (j *job) cleanup() {
	if err := os.RemoveAll(j.work); err != nil {
		j.b.cfg.Logger.Warn("removing Go build work dir", "dir", j.work, "err", err)
	}
}

func (j *job) logf(format string, args ...any) { j.log.Line(fmt.Sprintf(format, args...)) }

func (j *job) warn(m diag.Message) {
	j.warnings = append(j.warnings, m)
	j.logf("warning: %s", m)
}

func (j *job) run(ctx context.Context, srcDir, pkg string) ([]byte, error) {
	sdk, err := gosdk.Dir(j.b.cfg.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("installing the Go SDK: %w", err)
	}
	j.sdk = sdk
	j.logf("Building Go with %s for wasip1/wasm (Kiln Go SDK %s)", j.b.goVersion, gosdk.Hash()[:12])
	if err := CopySource(srcDir, j.src); err != nil {
		return nil, err
	}
	for _, d := range []string{"tmp", "home"} {
		if err := os.MkdirAll(filepath.Join(j.work, d), 0o755); err != nil {
			return nil, fmt.Errorf("creating work dir: %w", err)
		}
	}
	modFlag, err := j.prepareModule(ctx)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(j.work, "function.wasm")
	target := "./" + pkg
	if pkg == "." {
		target = "."
	}
	j.logf("$ go build %s -buildmode=c-shared -trimpath -o function.wasm %s", modFlag, target)
	started := time.Now()
	if err := j.goStream(ctx, modFlag, "build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-o", out, target); err != nil {
		return nil, err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return nil, fmt.Errorf("reading build output: %w", err)
	}
	j.logf("Compiled in %v: %s", time.Since(started).Round(10*time.Millisecond), byteSize(fi.Size()))
	if fi.Size() > j.b.cfg.MaxOutputBytes {
		return nil, &diag.BuildError{Err: ErrTooLarge, Messages: []diag.Message{{
			Text: fmt.Sprintf("the compiled module is %s, over the %s limit", byteSize(fi.Size()), byteSize(j.b.cfg.MaxOutputBytes)),
		}}}
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("reading build output: %w", err)
	}
	return wasm, nil
}

// env is the whole environment of the go command: nothing is inherited
// from the host but PATH, so a host's GOFLAGS, GOPROXY or go env file
// cannot change what a deployment builds into.
func (j *job) env(modFlag string) []string {
	c := j.b.cfg
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(j.work, "home"),
		"TMPDIR=" + filepath.Join(j.work, "tmp"),
		"GOTMPDIR=" + filepath.Join(j.work, "tmp"),
		"GOENV=off",
		"GOTELEMETRY=off",
		"GOCACHE=" + filepath.Join(c.CacheDir, "gocache"),
		"GOPATH=" + filepath.Join(c.CacheDir, "gopath"),
		"GOMODCACHE=" + filepath.Join(c.CacheDir, "gopath", "pkg", "mod"),
		"GOOS=wasip1",
		"GOARCH=wasm",
		"CGO_ENABLED=0",
		"GOPROXY=off",
		"GOSUMDB=off",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		"GOFLAGS=" + modFlag,
	}
}

func (j *job) command(ctx context.Context, modFlag string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, j.b.goBin, args...)
	cmd.Dir = j.src
	cmd.Env = j.env(modFlag)
	cmd.WaitDelay = waitDelay
	procgroup.Set(cmd)
	return cmd
}

// goQuick runs a short go command (go mod edit) and returns its output.
func (j *job) goQuick(ctx context.Context, args ...string) ([]byte, error) {
	cmd := j.command(ctx, "-mod=mod", args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, j.failure(strings.Split(strings.TrimRight(errOut.String(), "\n"), "\n"), true, err)
	}
	return []byte(out.String()), nil
}

// goStream runs a go command with its output streamed to the log.
func (j *job) goStream(ctx context.Context, modFlag string, args ...string) error {
	cmd := j.command(ctx, modFlag, args...)
	cmd.Stdout, cmd.Stderr = j.log, j.log
	err := cmd.Run()
	j.log.Flush()
	if err != nil {
		return j.failure(j.log.Captured(), false, err)
	}
	return nil
}

// failure turns a failed go command into a BuildError made from its output
// lines; unlogged output is written to the log first.
func (j *job) failure(lines []string, unlogged bool, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return fmt.Errorf("running go: %w", err)
	}
	if unlogged {
		for i, l := range lines {
			lines[i] = j.relativize(l)
			j.log.Line(lines[i])
		}
	}
	msgs := parseMessages(lines, j.src)
	if len(msgs) == 0 {
		msgs = []diag.Message{{Text: fmt.Sprintf("go exited with %v", exit.ProcessState)}}
	}
	return &diag.BuildError{Err: ErrCompile, Messages: msgs}
}

// relativize removes the build machine's paths from a line of go output.
func (j *job) relativize(s string) string {
	if j.sdk != "" {
		s = strings.ReplaceAll(s, j.sdk, gosdk.ModulePath)
	}
	s = strings.ReplaceAll(s, j.src+string(filepath.Separator), "")
	s = strings.ReplaceAll(s, j.src, ".")
	s = strings.ReplaceAll(s, j.work, "$WORK")
	s = strings.ReplaceAll(s, j.b.cfg.CacheDir, "$CACHE")
	return s
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

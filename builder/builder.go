// Package builder turns a deployment's source into an artifact: Go source
// compiled to a wasip1 reactor with the embedded Kiln Go SDK, or a prebuilt
// WASI or Extism module taken from the source; then validated,
// fuel-instrumented and checked against its runtime's contract. JavaScript
// and TypeScript are bundled into one ES module for the QuickJS engine
// (js.go). Unpacking uploads is builder/archive; the Go toolchain driver is
// builder/golang; esbuild is driven by builder/jsbundle.
package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kilnhq/kiln/builder/golang"
	"github.com/kilnhq/kiln/runtime/fuel"
)

// Runtimes a Spec can name.
const (
	// RuntimeGo: Go source using github.com/kilnhq/kiln/sdk/go. "go-" plus
	// a version ("go-1.26") is accepted as the same runtime; the node's
	// toolchain is used whatever the version says.
	RuntimeGo = "go"
	// RuntimeWASI: a prebuilt WASI module (WAGI command or Kiln reactor).
	RuntimeWASI = "wasi"
	// RuntimeExtism: an Extism plugin, prebuilt (a .wasm in the source)
	// or Go source compiled like a Go function but without the SDK.
	RuntimeExtism = "extism"
)

// Spec is what to build.
type Spec struct {
	// Runtime is RuntimeGo (or "go-<version>"), RuntimeJS, RuntimeWASI or
	// RuntimeExtism.
	Runtime string
	// SourceDir is the unpacked deployment. It is read, never modified.
	SourceDir string
	// Entrypoint for wasi and extism is the path of the module in the
	// source; default: the only *.wasm file (an error if there are
	// several). For go it is the main package's folder; default: the root.
	// For js it is the entry file; default: src/index.ts, index.js and
	// the other names builder/jsbundle tries.
	Entrypoint string
	// Commands are the user's build commands. They are not run (no
	// deployment code runs on the build machine outside a sandbox); a
	// non-empty value adds a warning saying so.
	Commands string
}

// Config configures a Builder. The zero value of each field selects the
// documented default.
type Config struct {
	// CacheDir holds the Go build cache, the extracted Go SDK and scratch
	// folders; it may be shared by Builders in several processes.
	// Default: <user cache dir>/kiln/builder.
	CacheDir string
	// GoRoot is the Go installation for Go builds. Default: the GOROOT
	// this binary was built with if it holds bin/go, else go on PATH. If
	// none is found New still succeeds and Go builds fail with
	// ErrNoToolchain.
	GoRoot string
	// Timeout bounds the compile step of one build. Default 5 min.
	Timeout time.Duration
	// MaxArtifactBytes caps a module, as compiled or uploaded and after
	// instrumentation. Default 64 MiB.
	MaxArtifactBytes int64
	// Logger receives operational records. Default: discard.
	Logger *slog.Logger
}

const (
	defaultTimeout          = 5 * time.Minute
	defaultMaxArtifactBytes = 64 << 20
)

// Builder builds deployments. It is safe for concurrent use.
type Builder struct {
	cfg   Config
	goB   *golang.Builder
	goErr error
}

// New prepares a Builder. It fails only if the cache folder is unusable.
func New(cfg Config) (*Builder, error) {
	if cfg.CacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("finding cache dir: %w", err)
		}
		cfg.CacheDir = filepath.Join(base, "kiln", "builder")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.MaxArtifactBytes <= 0 {
		cfg.MaxArtifactBytes = defaultMaxArtifactBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating cache dir: %w", err)
	}
	b := &Builder{cfg: cfg}
	b.goB, b.goErr = golang.New(golang.Config{
		CacheDir:       cfg.CacheDir,
		GoRoot:         cfg.GoRoot,
		Timeout:        cfg.Timeout,
		MaxOutputBytes: cfg.MaxArtifactBytes,
		Logger:         cfg.Logger,
	})
	if b.goErr != nil {
		cfg.Logger.Warn("Go builds disabled", "err", b.goErr)
	}
	return b, nil
}

// Artifact is a built deployment, ready to store and run.
type Artifact struct {
	// Wasm is the validated, fuel-instrumented module; for ABIJS it is
	// the JavaScript bundle instead (the QuickJS engine is the metered
	// module).
	Wasm []byte
	// SHA256 is the hex digest of Wasm.
	SHA256 string
	// Size is len(Wasm) in bytes.
	Size int64
	// ABI is ABIReactor, ABIWAGI, ABIExtism or ABIJS.
	ABI string
	// Duration is the wall time of the whole build.
	Duration time.Duration
	// Warnings are things the user may want to fix; they did not stop the
	// build.
	Warnings []Message
}

// Build builds spec, writing a readable log to log (nil: discard): the
// steps, their timings, compiler output and, on failure, the errors with
// file:line. A deployment's own fault is a *BuildError wrapping one of the
// package's sentinels; any other error is the build machine's or ctx's.
func (b *Builder) Build(ctx context.Context, spec Spec, log io.Writer) (*Artifact, error) {
	if log == nil {
		log = io.Discard
	}
	start := time.Now()
	a, err := b.build(ctx, spec, log)
	var be *BuildError
	switch {
	case errors.As(err, &be):
		fmt.Fprintf(log, "Build failed after %v:\n", roundDuration(time.Since(start)))
		for _, m := range be.Messages {
			fmt.Fprintf(log, "  %s\n", strings.ReplaceAll(m.String(), "\n", "\n    "))
		}
		return nil, err
	case err != nil:
		fmt.Fprintf(log, "Build failed after %v: internal error\n", roundDuration(time.Since(start)))
		return nil, err
	}
	a.Duration = time.Since(start)
	fmt.Fprintf(log, "Build succeeded in %v: %s, %s ABI, sha256 %s\n", roundDuration(a.Duration), byteSize(a.Size), a.ABI, a.SHA256)
	return a, nil
}

func (b *Builder) build(ctx context.Context, spec Spec, log io.Writer) (*Artifact, error) {
	runtime := spec.Runtime
	if strings.HasPrefix(runtime, RuntimeGo+"-") {
		runtime = RuntimeGo
	}
	var warnings []Message
	if strings.TrimSpace(spec.Commands) != "" {
		w := Message{Text: "build commands are not run by Kiln; they were ignored (deploy sources Kiln builds itself, or the built .wasm)"}
		warnings = append(warnings, w)
		fmt.Fprintf(log, "warning: %s\n", w)
	}

	var wasm []byte
	file := "" // the module's path in the source, for messages
	switch runtime {
	case RuntimeGo:
		if b.goB == nil {
			return nil, buildErr(ErrNoToolchain, Message{Text: "this Kiln node cannot build Go: " + b.goErr.Error()})
		}
		res, err := b.goB.Build(ctx, golang.Request{SourceDir: spec.SourceDir, Package: spec.Entrypoint, Log: log})
		if err != nil {
			return nil, err
		}
		wasm = res.Wasm
		warnings = append(warnings, res.Warnings...)
	case RuntimeJS:
		return b.buildJS(ctx, spec, log, warnings)
	case RuntimeWASI, RuntimeExtism:
		if runtime == RuntimeExtism && goPlugin(spec.SourceDir, spec.Entrypoint) {
			res, err := b.buildGoPlugin(ctx, spec, log)
			if err != nil {
				return nil, err
			}
			wasm = res.Wasm
			warnings = append(warnings, res.Warnings...)
			break
		}
		rel, err := findEntrypoint(spec.SourceDir, spec.Entrypoint)
		if err != nil {
			return nil, err
		}
		if wasm, err = readPrebuilt(spec.SourceDir, rel, b.cfg.MaxArtifactBytes); err != nil {
			return nil, err
		}
		file = rel
		fmt.Fprintf(log, "Using prebuilt %s module %s (%s)\n", runtime, rel, byteSize(int64(len(wasm))))
		if why := notWasm(wasm); why != "" {
			return nil, buildErr(ErrInvalidModule, Message{File: rel, Text: why})
		}
	default:
		return nil, buildErr(ErrUnknownRuntime, Message{Text: fmt.Sprintf("unknown runtime %q: this Kiln builds go, js, wasi and extism", spec.Runtime)})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	started := time.Now()
	out, err := instrument(wasm)
	if err != nil {
		return nil, instrumentErr(file, err)
	}
	if int64(len(out)) > b.cfg.MaxArtifactBytes {
		return nil, buildErr(ErrTooLarge, Message{File: file, Text: fmt.Sprintf("the instrumented module is %s, over the %s limit", byteSize(int64(len(out))), byteSize(b.cfg.MaxArtifactBytes))})
	}
	info, err := inspect(ctx, out)
	if err != nil {
		// The input validated, so the rewriter produced a bad module:
		// the build machine's fault, not the user's.
		return nil, fmt.Errorf("validating instrumented module: %w", err)
	}
	abi, why := checkABI(runtime, info)
	if why != "" {
		return nil, buildErr(ErrABI, Message{File: file, Text: why})
	}
	fmt.Fprintf(log, "Validated and instrumented for fuel in %v: %s -> %s\n", roundDuration(time.Since(started)), byteSize(int64(len(wasm))), byteSize(int64(len(out))))
	sum := sha256.Sum256(out)
	return &Artifact{
		Wasm:     out,
		SHA256:   hex.EncodeToString(sum[:]),
		Size:     int64(len(out)),
		ABI:      abi,
		Warnings: warnings,
	}, nil
}

// instrumentErr reports a module the rewriter refused, naming its file.
func instrumentErr(file string, err error) error {
	switch {
	case errors.Is(err, fuel.ErrInvalidModule):
		return buildErr(ErrInvalidModule, Message{File: file, Text: "not a valid WebAssembly module: " + err.Error()})
	case errors.Is(err, fuel.ErrUnsupported):
		return buildErr(ErrUnsupportedModule, Message{File: file, Text: "refused: " + err.Error()})
	}
	return fmt.Errorf("instrumenting module: %w", err)
}

func roundDuration(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
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

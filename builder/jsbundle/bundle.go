package jsbundle

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/kilnhq/kiln/builder/diag"
)

// SourceMap says where the bundle's source map goes.
type SourceMap int

const (
	// SourceMapInline appends the map to the bundle as a data URL (the
	// default: runtime errors can be mapped from the artifact alone).
	SourceMapInline SourceMap = iota
	// SourceMapExternal returns the map in Result.Map and links it with a
	// sourceMappingURL comment.
	SourceMapExternal
	// SourceMapNone emits no map.
	SourceMapNone
)

// Options configures Bundle.
type Options struct {
	// Dir is the project root: node_modules and package.json are resolved
	// from here, and messages name files relative to it. Required.
	Dir string
	// Entry is the entry file relative to Dir. Default: the first that
	// exists of src/index.{ts,tsx,js,jsx,mjs}, index.{…}, src/main.{…},
	// main.{…}, then package.json's "module" or "main".
	Entry string
	// SourceMap defaults to SourceMapInline.
	SourceMap SourceMap
	// Minify shrinks identifiers, whitespace and syntax. Default off, so
	// stack traces stay readable without the map.
	Minify bool
	// Define replaces global expressions at build time, as esbuild's
	// define. process.env.NODE_ENV defaults to "production".
	Define map[string]string
}

// Result is a bundle.
type Result struct {
	// Code is the bundle: one ES module.
	Code []byte
	// Map is the source map JSON (SourceMapExternal only).
	Map []byte
	// Entry is the entry file used, relative to Dir.
	Entry string
	// Warnings are esbuild's warnings, with locations.
	Warnings []diag.Message
}

// OutputName is the bundle's file name inside stack traces and source maps.
const OutputName = "worker.js"

var entryExts = []string{".ts", ".tsx", ".js", ".jsx", ".mjs", ".mts"}

// Bundle builds the project in opts.Dir. Faults of the project come as a
// *diag.BuildError wrapping ErrNoEntry or ErrBundle; ctx is checked before
// the build (esbuild's Go API cannot be interrupted).
func Bundle(ctx context.Context, opts Options) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("resolving project dir: %w", err)
	}
	entry, err := findEntry(dir, opts.Entry)
	if err != nil {
		return nil, err
	}
	define := map[string]string{"process.env.NODE_ENV": `"production"`}
	for k, v := range opts.Define {
		define[k] = v
	}
	sourcemap := api.SourceMapInline
	switch opts.SourceMap {
	case SourceMapExternal:
		sourcemap = api.SourceMapLinked
	case SourceMapNone:
		sourcemap = api.SourceMapNone
	}
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:     dir,
		EntryPoints:       []string{entry},
		Bundle:            true,
		Write:             false,
		Outfile:           filepath.Join(dir, OutputName),
		Format:            api.FormatESModule,
		Platform:          api.PlatformNeutral,
		Target:            api.ES2023,
		MainFields:        []string{"workerd", "worker", "browser", "module", "main"},
		Conditions:        []string{"workerd", "worker", "browser", "import", "default"},
		ResolveExtensions: []string{".tsx", ".ts", ".jsx", ".js", ".mjs", ".cjs", ".mts", ".cts", ".json"},
		Loader: map[string]api.Loader{
			".txt": api.LoaderText, ".html": api.LoaderText, ".md": api.LoaderText,
			".wasm": api.LoaderBinary, ".bin": api.LoaderBinary,
		},
		JSX:               api.JSXAutomatic,
		Sourcemap:         sourcemap,
		SourcesContent:    api.SourcesContentInclude,
		MinifyWhitespace:  opts.Minify,
		MinifySyntax:      opts.Minify,
		MinifyIdentifiers: opts.Minify,
		Define:            define,
		LogLevel:          api.LogLevelSilent,
		Charset:           api.CharsetUTF8,
	})
	if len(res.Errors) > 0 {
		return nil, &diag.BuildError{Err: ErrBundle, Messages: messages(dir, res.Errors)}
	}
	out := &Result{Entry: entry, Warnings: messages(dir, res.Warnings)}
	for _, f := range res.OutputFiles {
		switch {
		case strings.HasSuffix(f.Path, ".map"):
			out.Map = f.Contents
		case strings.HasSuffix(f.Path, ".js"):
			out.Code = f.Contents
		}
	}
	if out.Code == nil {
		return nil, fmt.Errorf("%w: esbuild produced no output", ErrBundle)
	}
	return out, nil
}

func findEntry(dir, entry string) (string, error) {
	if entry != "" {
		clean := filepath.ToSlash(filepath.Clean(entry))
		if filepath.IsAbs(entry) || strings.HasPrefix(clean, "../") {
			return "", &diag.BuildError{Err: ErrNoEntry, Messages: []diag.Message{{Text: "entry point must be inside the project", File: entry}}}
		}
		if _, err := os.Stat(filepath.Join(dir, clean)); err != nil {
			return "", &diag.BuildError{Err: ErrNoEntry, Messages: []diag.Message{{Text: "entry point does not exist", File: clean}}}
		}
		return clean, nil
	}
	for _, base := range []string{"src/index", "index", "src/main", "main", "src/worker", "worker"} {
		for _, ext := range entryExts {
			if _, err := os.Stat(filepath.Join(dir, base+ext)); err == nil {
				return base + ext, nil
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil {
		var pkg struct{ Module, Main string }
		if json.Unmarshal(b, &pkg) == nil {
			for _, e := range []string{pkg.Module, pkg.Main} {
				if e == "" {
					continue
				}
				e = filepath.ToSlash(filepath.Clean(e))
				if _, err := os.Stat(filepath.Join(dir, e)); err == nil && !strings.HasPrefix(e, "../") {
					return e, nil
				}
			}
		}
	}
	return "", &diag.BuildError{Err: ErrNoEntry, Messages: []diag.Message{{
		Text: "no entry point: add src/index.ts or index.js, set \"main\" in package.json, or name the entry file",
	}}}
}

func messages(dir string, ms []api.Message) []diag.Message {
	out := make([]diag.Message, 0, len(ms))
	for _, m := range ms {
		d := diag.Message{Text: m.Text}
		if m.Location != nil {
			d.File = relFile(dir, m.Location.File)
			d.Line = m.Location.Line
			d.Column = m.Location.Column + 1
		}
		for _, n := range m.Notes {
			if n.Text != "" {
				d.Text += " (" + n.Text + ")"
			}
		}
		out = append(out, d)
	}
	return out
}

func relFile(dir, f string) string {
	if filepath.IsAbs(f) {
		if r, err := filepath.Rel(dir, f); err == nil {
			return filepath.ToSlash(r)
		}
	}
	return filepath.ToSlash(f)
}

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kilnhq/kiln/builder/archive"
	"github.com/kilnhq/kiln/sdk/client"
	"github.com/schollz/progressbar/v3"
)

type deployOptions struct {
	clientOptions
	function   string
	runtime    string
	entrypoint string
	activate   bool
}

func deployFlags(o *deployOptions) *flag.FlagSet {
	fs := newFlagSet("deploy")
	o.register(fs)
	fs.StringVar(&o.function, "function", "", "function id; default: the folder's name (created if missing)")
	fs.StringVar(&o.runtime, "runtime", "", "runtime when the function is created; default: go-1.26 for a folder with go.mod, wasi for one with a .wasm file, js for one with package.json")
	fs.StringVar(&o.entrypoint, "entrypoint", "", "entrypoint: the .wasm file for wasi/extism; default: detected")
	fs.BoolVar(&o.activate, "activate", true, "activate the deployment once it is built")
	return fs
}

// runDeploy packs DIR, uploads it with a progress bar, streams the build log
// and reports the result.
func runDeploy(args []string) error {
	var o deployOptions
	fs := deployFlags(&o)
	if err := parseWithEnv(fs, reorderFlags(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: kiln deploy DIR [--function ID] [--runtime R] [--activate]")
	}
	dir := fs.Arg(0)
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(dir)
	if o.function == "" {
		o.function = functionIDFromDir(abs)
	}
	ctx := context.Background()
	if err := ensureFunction(ctx, c, o.function, o.runtime, abs); err != nil {
		return err
	}

	var tgz bytes.Buffer
	if err := archive.Pack(ctx, abs, &tgz, nil); err != nil {
		return fmt.Errorf("packing %s: %w", dir, err)
	}
	bar := progressbar.NewOptions64(int64(tgz.Len()), progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription("Uploading "+o.function), progressbar.OptionShowBytes(true),
		progressbar.OptionClearOnFinish())
	d, err := c.CreateDeployment(ctx, o.function, tgz.Bytes(), client.DeployParams{
		Activate: o.activate, Entrypoint: o.entrypoint,
		Progress: func(sent, total int64) { _ = bar.Set64(sent) },
	})
	_ = bar.Finish()
	if err != nil {
		return fmt.Errorf("uploading: %w", err)
	}
	fmt.Fprintf(os.Stderr, "Uploaded %d bytes as deployment %s; building…\n", tgz.Len(), d.ID)
	d, err = c.WaitDeployment(ctx, o.function, d.ID, func(s string) { fmt.Fprint(os.Stderr, s) })
	if err != nil {
		return err
	}
	if o.json {
		return printJSON(os.Stdout, d)
	}
	switch d.Status {
	case "ready":
		state := "ready (not activated)"
		if o.activate {
			state = "ready and active"
		}
		fmt.Printf("Deployment %s of %s is %s (built in %s, %s contract).\n", d.ID, o.function, state,
			time.Duration(d.BuildDuration*float64(time.Second)).Round(time.Millisecond), d.ABI)
		fmt.Printf("URL: %s\n", functionURL(c.Endpoint, c.Project, o.function))
		return nil
	default:
		return fmt.Errorf("deployment %s %s", d.ID, d.Status)
	}
}

// functionURL is where the HTTP trigger serves a function.
func functionURL(endpoint, project, function string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(endpoint, "/"), "/v1")
	return base + "/fn/" + project + "/" + function + "/"
}

// ensureFunction creates the function if it does not exist.
func ensureFunction(ctx context.Context, c *client.Client, id, runtime, dir string) error {
	_, err := c.GetFunction(ctx, id)
	if err == nil {
		return nil
	}
	if !client.IsNotFound(err) {
		return err
	}
	if runtime == "" {
		runtime = detectRuntime(dir)
		if runtime == "" {
			return fmt.Errorf("cannot tell the runtime of %s (no go.mod, no .wasm file, no package.json): pass --runtime", dir)
		}
	}
	if _, err := c.CreateFunction(ctx, client.FunctionParams{FunctionID: id, Name: id, Runtime: runtime, Execute: []string{"any"}}); err != nil {
		return fmt.Errorf("creating function %s: %w", id, err)
	}
	fmt.Fprintf(os.Stderr, "Created function %s (runtime %s)\n", id, runtime)
	return nil
}

func detectRuntime(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		if importsExtismKernel(dir) {
			return "extism"
		}
		return "go-1.26"
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.wasm")); len(m) > 0 {
		return "wasi"
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
		return "js"
	}
	return ""
}

// importsExtismKernel reports whether the Go files at the root of dir
// declare imports from the Extism kernel (//go:wasmimport extism:host/env),
// which makes them an Extism plugin rather than a Kiln Go function.
func importsExtismKernel(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), "//go:wasmimport extism:host/env ") {
			return true
		}
	}
	return false
}

// functionIDFromDir turns a folder name into a valid function id.
func functionIDFromDir(dir string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(filepath.Base(dir)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0:
			b.WriteByte('-')
		}
		if b.Len() == 36 {
			break
		}
	}
	id := strings.Trim(b.String(), "-")
	if id == "" {
		return "function"
	}
	return id
}

// reorderFlags moves flags before positional arguments so "kiln deploy DIR
// --function x" works like "kiln deploy --function x DIR".
func reorderFlags(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func isBoolFlag(a string) bool {
	name := strings.TrimLeft(a, "-")
	return name == "json" || name == "activate" || name == "secret" || name == "f" || name == "async"
}

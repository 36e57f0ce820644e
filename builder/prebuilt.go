package builder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// findEntrypoint returns the slash path, relative to dir, of the module a
// prebuilt deployment runs: entry if set, else the only *.wasm file.
func findEntrypoint(dir, entry string) (string, error) {
	if entry != "" {
		clean := filepath.ToSlash(filepath.Clean(entry))
		if !filepath.IsLocal(clean) {
			return "", buildErr(ErrNoEntrypoint, Message{Text: fmt.Sprintf("entrypoint %q is not inside the source", entry)})
		}
		return clean, nil
	}
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "kiln_data") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".wasm") {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			found = append(found, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("looking for .wasm files: %w", err)
	}
	switch len(found) {
	case 0:
		return "", buildErr(ErrNoEntrypoint, Message{Text: "the source holds no .wasm file; upload the compiled module"})
	case 1:
		return found[0], nil
	}
	return "", buildErr(ErrAmbiguousEntrypoint, Message{Text: fmt.Sprintf("the source holds %d .wasm files (%s); set the entrypoint to the one to run", len(found), strings.Join(found, ", "))})
}

// readPrebuilt reads the entrypoint through an os.Root, so a symlink cannot
// make the builder read outside the source, and refuses files over max.
func readPrebuilt(dir, rel string, max int64) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening source: %w", err)
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, buildErr(ErrNoEntrypoint, Message{File: rel, Text: "cannot open the entrypoint: " + pathErrText(err)})
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, buildErr(ErrNoEntrypoint, Message{File: rel, Text: "the entrypoint is not a regular file"})
	}
	if fi.Size() > max {
		return nil, buildErr(ErrTooLarge, Message{File: rel, Text: fmt.Sprintf("the module is %d bytes, over the %d byte limit", fi.Size(), max)})
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	if int64(len(b)) > max {
		return nil, buildErr(ErrTooLarge, Message{File: rel, Text: fmt.Sprintf("the module is over the %d byte limit", max)})
	}
	return b, nil
}

// notWasm explains a file that does not even start like a wasm binary.
func notWasm(b []byte) string {
	if bytes.HasPrefix(b, []byte("\x00asm")) {
		return ""
	}
	if t := bytes.TrimSpace(b); bytes.HasPrefix(t, []byte("(module")) || bytes.HasPrefix(t, []byte("(component")) {
		return "the file is WebAssembly text; compile it to a binary module (for example with wat2wasm)"
	}
	return "the file is not a WebAssembly binary module (it does not start with \\0asm)"
}

func pathErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func buildErr(sentinel error, msgs ...Message) *BuildError {
	return &BuildError{Err: sentinel, Messages: msgs}
}

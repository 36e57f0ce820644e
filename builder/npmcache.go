package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/kilnhq/kiln/builder/golang"
)

// Installed dependencies are kept per lockfile: npm ci takes seconds even
// with every tarball in its cache, while linking a kept node_modules
// takes milliseconds. The key is the exact package.json and lockfile, so
// a kept tree is what npm ci would install from them (npm checks the
// lockfile's integrity hashes when it fills the cache).
const (
	depsDirName = "js-deps"
	depsMarker  = ".kiln-complete" // written last: the tree is whole
	depsMaxIdle = 7 * 24 * time.Hour
	nodeModules = "node_modules"
)

// installDeps puts the dependencies of the source in dir (a scratch copy)
// into dir/node_modules: from the kept tree of the same lockfile if there
// is one, else with npm ci, keeping the result for the next build.
func (b *Builder) installDeps(ctx context.Context, dir, lock, home string, log io.Writer) error {
	key, err := depsKey(dir, lock)
	if err != nil {
		return err
	}
	root := filepath.Join(b.cfg.CacheDir, depsDirName)
	kept := filepath.Join(root, key)
	if _, err := os.Stat(filepath.Join(kept, depsMarker)); err == nil {
		started := time.Now()
		err := linkTree(filepath.Join(kept, nodeModules), filepath.Join(dir, nodeModules))
		if err == nil {
			now := time.Now()
			_ = os.Chtimes(filepath.Join(kept, depsMarker), now, now)
			fmt.Fprintf(log, "Dependencies of %s already installed on this node (linked in %v)\n", lock, roundDuration(time.Since(started)))
			return nil
		}
		b.cfg.Logger.Warn("linking kept node_modules", "dir", kept, "err", err)
		if err := os.RemoveAll(filepath.Join(dir, nodeModules)); err != nil {
			return fmt.Errorf("removing partial node_modules: %w", err)
		}
	}
	if err := b.npmInstall(ctx, dir, lock, home, log); err != nil {
		return err
	}
	b.keepDeps(root, key, filepath.Join(dir, nodeModules))
	return nil
}

// depsKey is the hex SHA-256 of package.json and the lockfile.
func depsKey(dir, lock string) (string, error) {
	h := sha256.New()
	for _, name := range []string{"package.json", lock} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", name, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// keepDeps links an installed node_modules into the cache under key and
// drops kept trees unused for depsMaxIdle. Failures only cost the next
// build an npm ci, so they are logged, not returned.
func (b *Builder) keepDeps(root, key, modules string) {
	if _, err := os.Stat(modules); err != nil {
		return // nothing installed (no dependencies)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		b.cfg.Logger.Warn("keeping node_modules", "err", err)
		return
	}
	tmp, err := os.MkdirTemp(root, "tmp-")
	if err != nil {
		b.cfg.Logger.Warn("keeping node_modules", "err", err)
		return
	}
	err = linkTree(modules, filepath.Join(tmp, nodeModules))
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, depsMarker), nil, 0o644)
	}
	if err == nil {
		// Another build of the same lockfile may have kept it first.
		if err = os.Rename(tmp, filepath.Join(root, key)); err != nil {
			if _, statErr := os.Stat(filepath.Join(root, key, depsMarker)); statErr == nil {
				err = nil
			}
		}
	}
	if err != nil {
		b.cfg.Logger.Warn("keeping node_modules", "err", err)
	}
	_ = os.RemoveAll(tmp)
	b.pruneDeps(root, key)
}

// pruneDeps removes kept trees whose marker has not been touched for
// depsMaxIdle, and leftovers of interrupted keeps.
func (b *Builder) pruneDeps(root, keep string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == keep {
			continue
		}
		dir := filepath.Join(root, e.Name())
		fi, err := os.Stat(filepath.Join(dir, depsMarker))
		if err != nil {
			fi, err = os.Stat(dir) // unfinished: judged by the folder's age
		}
		if err == nil && time.Since(fi.ModTime()) > depsMaxIdle {
			if err := os.RemoveAll(dir); err != nil {
				b.cfg.Logger.Warn("pruning kept node_modules", "dir", dir, "err", err)
			}
		}
	}
}

// linkTree recreates the tree src at dst with hard links to its files
// (copies where links fail, e.g. across file systems) and its symlinks as
// they are. Nothing that reads the result writes to it: esbuild only
// reads node_modules.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		switch t := d.Type(); {
		case t.IsDir():
			return os.MkdirAll(out, 0o755)
		case t&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, out)
		case t.IsRegular():
			if os.Link(p, out) == nil {
				return nil
			}
			return golang.CopyFile(p, out)
		}
		return nil
	})
}

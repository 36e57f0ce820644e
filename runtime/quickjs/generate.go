package quickjs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

//go:generate go run ./internal/getengine engine

// InstallEngine fetches the pinned engine (or takes it from the cache) and
// writes it with its LICENSE into dir, for builds that embed it
// (-tags kiln_embed_quickjs).
func InstallEngine(ctx context.Context, dir string, cfg Config) error {
	wasm, err := engineWasm(ctx, &cfg)
	if err != nil {
		return err
	}
	cache, err := engineCacheDir(&cfg)
	if err != nil {
		return err
	}
	license, err := os.ReadFile(filepath.Join(cache, licenseFileName))
	if err != nil {
		// The cache predates the LICENSE or the engine came from
		// KILN_QUICKJS_WASM: fetch the package again for its LICENSE.
		files, ferr := fetchEnginePackage(ctx, &cfg)
		if ferr != nil {
			return fmt.Errorf("fetching engine LICENSE: %w", ferr)
		}
		license = files.license
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, licenseFileName), license); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, engineFileName), wasm)
}

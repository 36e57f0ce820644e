package quickjs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	engineFileName  = "emscripten-module.wasm"
	licenseFileName = "LICENSE"
	maxTarballBytes = 16 << 20
)

// engineWasm returns the verified engine bytes: from Config.EnginePath (or
// $KILN_QUICKJS_WASM), else the copy embedded in the binary (build tag
// kiln_embed_quickjs), else the cache directory, else fetched from the npm
// registry into the cache directory together with its LICENSE.
func engineWasm(ctx context.Context, cfg *Config) ([]byte, error) {
	path := cfg.EnginePath
	if path == "" {
		path = os.Getenv(EngineWasmEnv)
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%w: reading %s: %w", ErrEngineUnavailable, path, err)
		}
		return b, verifyEngine(b, path)
	}
	if embeddedEngine != nil {
		return embeddedEngine, verifyEngine(embeddedEngine, "embedded engine")
	}
	dir, err := engineCacheDir(cfg)
	if err != nil {
		return nil, err
	}
	cached := filepath.Join(dir, engineFileName)
	if b, err := os.ReadFile(cached); err == nil {
		if verifyEngine(b, cached) == nil {
			return b, nil
		}
		// A damaged or foreign file in our own cache is replaced, not trusted.
		_ = os.Remove(cached)
	}
	files, err := fetchEnginePackage(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w (run once with access to the npm registry, or set %s to a copy of %s@%s dist/%s)",
			ErrEngineUnavailable, err, EngineWasmEnv, enginePackage, EngineVersion, engineFileName)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating engine cache: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, licenseFileName), files.license); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(cached, files.wasm); err != nil {
		return nil, err
	}
	return files.wasm, nil
}

func engineCacheDir(cfg *Config) (string, error) {
	if cfg.CacheDir != "" {
		return cfg.CacheDir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%w: finding user cache dir: %w", ErrEngineUnavailable, err)
	}
	return filepath.Join(base, "kiln", "quickjs", EngineVersion), nil
}

func verifyEngine(b []byte, where string) error {
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != EngineSHA256 {
		return fmt.Errorf("%w: %s has sha256 %s, want %s (%s@%s)", ErrEngineMismatch, where, got, EngineSHA256, enginePackage, EngineVersion)
	}
	return nil
}

type enginePackageFiles struct {
	wasm, license, cjs []byte
}

// fetchEnginePackage downloads the pinned tarball with npm when it is on
// PATH (so npm's proxy and registry settings apply), else over HTTPS, and
// checks it against every pin before anything is taken from it.
func fetchEnginePackage(ctx context.Context, cfg *Config) (*enginePackageFiles, error) {
	var tgz []byte
	var err error
	if npm, lookErr := exec.LookPath("npm"); lookErr == nil {
		tgz, err = npmPack(ctx, npm)
	} else {
		tgz, err = httpTarball(ctx, cfg.httpClient())
	}
	if err != nil {
		return nil, err
	}
	if err := verifyTarball(tgz); err != nil {
		return nil, err
	}
	files, err := extractEnginePackage(tgz)
	if err != nil {
		return nil, err
	}
	if err := verifyEngine(files.wasm, "package "+engineFileName); err != nil {
		return nil, err
	}
	if err := verifyABIAgainstGlue(files.cjs); err != nil {
		return nil, err
	}
	return files, nil
}

func npmPack(ctx context.Context, npm string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "kiln-quickjs-")
	if err != nil {
		return nil, fmt.Errorf("creating temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, npm, "pack", enginePackage+"@"+EngineVersion, "--pack-destination", dir, "--silent")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("npm pack %s@%s: %w: %s", enginePackage, EngineVersion, err, strings.TrimSpace(stderr.String()))
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if len(matches) != 1 {
		return nil, fmt.Errorf("npm pack %s@%s: produced %d tarballs", enginePackage, EngineVersion, len(matches))
	}
	return os.ReadFile(matches[0])
}

func httpTarball(ctx context.Context, client *http.Client) ([]byte, error) {
	meta, err := httpGet(ctx, client, engineMetadataURL, 1<<20)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Dist struct {
			Integrity string `json:"integrity"`
			Tarball   string `json:"tarball"`
		} `json:"dist"`
	}
	if err := json.Unmarshal(meta, &doc); err != nil {
		return nil, fmt.Errorf("decoding registry metadata: %w", err)
	}
	if doc.Dist.Integrity != engineTarballIntegrity {
		return nil, fmt.Errorf("%w: registry integrity %q, pinned %q", ErrEngineMismatch, doc.Dist.Integrity, engineTarballIntegrity)
	}
	return httpGet(ctx, client, engineTarballURL, maxTarballBytes)
}

func httpGet(ctx context.Context, client *http.Client, url string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: status %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("fetching %s: larger than %d bytes", url, limit)
	}
	return b, nil
}

func verifyTarball(tgz []byte) error {
	sum := sha256.Sum256(tgz)
	if got := hex.EncodeToString(sum[:]); got != engineTarballSHA256 {
		return fmt.Errorf("%w: tarball sha256 %s, want %s", ErrEngineMismatch, got, engineTarballSHA256)
	}
	s512 := sha512.Sum512(tgz)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(s512[:]); got != engineTarballIntegrity {
		return fmt.Errorf("%w: tarball integrity %s, want %s", ErrEngineMismatch, got, engineTarballIntegrity)
	}
	return nil
}

func extractEnginePackage(tgz []byte) (*enginePackageFiles, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("opening tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	var files enginePackageFiles
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tarball: %w", err)
		}
		var dst *[]byte
		switch h.Name {
		case "package/dist/" + engineFileName:
			dst = &files.wasm
		case "package/dist/emscripten-module.cjs":
			dst = &files.cjs
		case "package/" + licenseFileName:
			dst = &files.license
		default:
			continue
		}
		if *dst, err = io.ReadAll(io.LimitReader(tr, maxTarballBytes)); err != nil {
			return nil, fmt.Errorf("reading %s: %w", h.Name, err)
		}
	}
	if files.wasm == nil || files.cjs == nil || files.license == nil {
		return nil, fmt.Errorf("%w: tarball lacks the wasm, its JavaScript glue or LICENSE", ErrEngineMismatch)
	}
	return &files, nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := tmp.Write(b)
	if werr == nil {
		werr = tmp.Chmod(0o644)
	}
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/kilnhq/kiln/store/objects"
)

// MinIOVersion is the MinIO server version tests build and run.
const MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"

const minioModule = "github.com/minio/minio"

var (
	minioOnce sync.Once
	minioCfg  objects.S3Config
	minioErr  error
	bucketSeq atomic.Int64
)

// MinIO returns the settings of a fresh bucket (not yet created; NewS3
// creates it) on a real MinIO server listening on a free loopback port,
// one server per test binary, stopped by Main. The server binary is found
// by MinIOBinary; building it the first time takes several minutes.
func MinIO(tb testing.TB) objects.S3Config {
	tb.Helper()
	minioOnce.Do(func() { minioCfg, minioErr = startMinIO(tb.Logf) })
	if minioErr != nil {
		tb.Fatalf("testenv: starting MinIO: %v", minioErr)
	}
	cfg := minioCfg
	cfg.Bucket = fmt.Sprintf("kiln-test-%d-%s", bucketSeq.Add(1), randHex(3))
	return cfg
}

// MinIOBinary returns the path of the pinned MinIO server: $KILN_MINIO if
// set, else <tools>/minio-<MinIOVersion>/minio where <tools> is the "tools"
// directory beside wasmtest.CacheDir() (by default
// <user cache dir>/kiln/tools; with $KILN_TEST_CACHE=/x/test, /x/tools).
// A missing binary is built there once with `go install` under a lock file,
// so test binaries running at the same time wait for one build.
func MinIOBinary(logf func(string, ...any)) (string, error) {
	if p := os.Getenv("KILN_MINIO"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("KILN_MINIO: %w", err)
		}
		return p, nil
	}
	cache, err := wasmtest.CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(filepath.Dir(cache), "tools", "minio-"+MinIOVersion)
	bin := filepath.Join(dir, "minio")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
		logf("waiting for another process building MinIO into %s", dir)
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX)
	} else if err != nil {
		return "", fmt.Errorf("locking %s: %w", dir, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	return bin, buildMinIO(dir, bin, logf)
}

func buildMinIO(dir, bin string, logf func(string, ...any)) error {
	logf("building MinIO %s into %s (once; takes several minutes)", MinIOVersion, dir)
	tmp := filepath.Join(dir, "build")
	_ = os.RemoveAll(tmp)
	defer os.RemoveAll(tmp)
	cmd := exec.Command(goTool(), "install", minioModule+"@"+MinIOVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	cmd.Dir = dir // outside any module, so go install uses only the pinned version
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		began := time.Now()
		for {
			select {
			case <-done:
				return
			case <-time.After(30 * time.Second):
				logf("still building MinIO (%s)", time.Since(began).Round(time.Second))
			}
		}
	}()
	out, err := cmd.CombinedOutput()
	close(done)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("go install %s@%s: %v\n%s", minioModule, MinIOVersion, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "minio"), bin); err != nil {
		return fmt.Errorf("caching minio: %w", err)
	}
	logf("MinIO built: %s", bin)
	return nil
}

func startMinIO(logf func(string, ...any)) (objects.S3Config, error) {
	bin, err := MinIOBinary(logf)
	if err != nil {
		return objects.S3Config{}, err
	}
	dir, err := os.MkdirTemp("", "kiln-minio-")
	if err != nil {
		return objects.S3Config{}, err
	}
	user, pass := "kiln"+randHex(4), randHex(16)
	logPath := filepath.Join(dir, "minio.log")
	// A port found free may be taken before MinIO binds it; retry a few times.
	for attempt := 0; attempt < 5; attempt++ {
		port, err1 := freePort()
		console, err2 := freePort()
		if err := errors.Join(err1, err2); err != nil {
			os.RemoveAll(dir)
			return objects.S3Config{}, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command(bin, "server", filepath.Join(dir, "data"), "--address", addr,
			"--console-address", "127.0.0.1:"+strconv.Itoa(console), "--quiet")
		cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+user, "MINIO_ROOT_PASSWORD="+pass,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
		logFile, err := os.Create(logPath)
		if err != nil {
			os.RemoveAll(dir)
			return objects.S3Config{}, err
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
		// The server dies with the test binary even if Main never runs (a panic, a timeout).
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		exited := make(chan struct{})
		started := make(chan error, 1)
		go func() {
			defer close(exited)
			// Pdeathsig follows the creating thread: keep it for the server's life.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if err := cmd.Start(); err != nil {
				started <- err
				return
			}
			started <- nil
			_ = cmd.Wait()
		}()
		err = <-started
		logFile.Close()
		if err != nil {
			os.RemoveAll(dir)
			return objects.S3Config{}, fmt.Errorf("starting %s: %w", bin, err)
		}
		if waitHTTP(addr, exited, 60*time.Second) {
			atExit(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
					<-exited
				}
				os.RemoveAll(dir)
			})
			return objects.S3Config{Endpoint: addr, AccessKey: user, SecretKey: pass, PathStyle: true}, nil
		}
		_ = cmd.Process.Kill()
		<-exited
	}
	log, _ := os.ReadFile(logPath)
	os.RemoveAll(dir)
	return objects.S3Config{}, fmt.Errorf("minio did not become ready: %s", log)
}

func waitHTTP(addr string, exited <-chan struct{}, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			resp, err := client.Get("http://" + addr + "/minio/health/ready")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return true
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); isFile(p) {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

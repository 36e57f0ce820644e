package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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

// MinIO returns the settings of a fresh bucket on a real MinIO server, one
// server per test binary. The server binary is $KILN_MINIO if set, else the
// cached build <user cache dir>/kiln/tools/minio-<version>/minio, built on
// first use with `go install` at MinIOVersion (several minutes, once).
func MinIO(tb testing.TB) objects.S3Config {
	tb.Helper()
	minioOnce.Do(func() { minioCfg, minioErr = startMinIO(tb) })
	if minioErr != nil {
		tb.Fatalf("testenv: starting MinIO: %v", minioErr)
	}
	cfg := minioCfg
	cfg.Bucket = fmt.Sprintf("kiln-test-%d-%s", bucketSeq.Add(1), randHex(3))
	return cfg
}

// MinIOBinary returns the path of the pinned MinIO server, building it into
// the cache if needed.
func MinIOBinary(logf func(string, ...any)) (string, error) {
	if p := os.Getenv("KILN_MINIO"); p != "" {
		return p, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, "kiln", "tools", "minio-"+MinIOVersion)
	bin := filepath.Join(dir, "minio")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Test binaries of several packages run at once: one builds, the rest wait.
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	logf("building MinIO %s into %s (once; takes several minutes)", MinIOVersion, dir)
	tmp := filepath.Join(dir, "build")
	cmd := exec.Command(goTool(), "install", minioModule+"@"+MinIOVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %v\n%s", minioModule, MinIOVersion, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "minio"), bin); err != nil {
		return "", err
	}
	os.RemoveAll(tmp)
	return bin, nil
}

func startMinIO(tb testing.TB) (objects.S3Config, error) {
	bin, err := MinIOBinary(tb.Logf)
	if err != nil {
		return objects.S3Config{}, err
	}
	dir, err := os.MkdirTemp("", "kiln-minio-")
	if err != nil {
		return objects.S3Config{}, err
	}
	user, pass := "kiln"+randHex(4), randHex(16)
	var cmd *exec.Cmd
	var addr string
	// A port found free may be taken before MinIO binds it; retry a few times.
	for attempt := 0; attempt < 5; attempt++ {
		addr = "127.0.0.1:" + strconv.Itoa(FreePort(tb))
		console := "127.0.0.1:" + strconv.Itoa(FreePort(tb))
		cmd = exec.Command(bin, "server", filepath.Join(dir, "data"), "--address", addr, "--console-address", console, "--quiet")
		cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+user, "MINIO_ROOT_PASSWORD="+pass,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
		logFile, _ := os.Create(filepath.Join(dir, "minio.log"))
		cmd.Stdout, cmd.Stderr = logFile, logFile
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return objects.S3Config{}, fmt.Errorf("starting %s: %w", bin, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if waitHTTP(addr, exited, 60*time.Second) {
			atExit(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
				}
				os.RemoveAll(dir)
			})
			return objects.S3Config{Endpoint: addr, AccessKey: user, SecretKey: pass, PathStyle: true}, nil
		}
		_ = cmd.Process.Kill()
		<-exited
	}
	log, _ := os.ReadFile(filepath.Join(dir, "minio.log"))
	os.RemoveAll(dir)
	return objects.S3Config{}, fmt.Errorf("minio did not become ready: %s", log)
}

func waitHTTP(addr string, exited <-chan struct{}, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
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
	p := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(p); err == nil && os.Getenv("GOROOT") != "" {
		return p
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtimeGOROOT(), "bin", "go")
}

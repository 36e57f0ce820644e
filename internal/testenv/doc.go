// Package testenv starts the real servers Kiln's tests run against: one
// throwaway PostgreSQL cluster per test binary (a fresh database per call to
// Postgres), embedded NATS on temp dirs, and one MinIO server per test
// binary (a fresh bucket per call to MinIO) built from a pinned version.
// Nothing is mocked and nothing needs to be started by hand; a missing
// PostgreSQL installation fails the test loudly instead of skipping it.
//
// Use Main from TestMain so the shared servers stop when the tests end:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// Servers started by a test binary are also told to exit if the binary dies
// without reaching the end of Main (a panic or a -timeout).
//
// Tools are cached beside wasmtest.CacheDir(): by default
// <user cache dir>/kiln/tools/minio-<MinIOVersion>/minio. `go run
// ./internal/testenv/cmd/minio-install` fills the cache ahead of a test run.
package testenv

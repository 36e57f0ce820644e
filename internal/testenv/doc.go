// Package testenv starts the real servers Kiln's tests run against: one
// throwaway PostgreSQL cluster per test binary (a fresh database per test),
// embedded NATS on temp dirs, and a MinIO server built from a pinned version.
// Nothing is mocked and nothing needs to be started by hand; a missing
// PostgreSQL installation fails the test loudly instead of skipping it.
//
// Use Main from TestMain so the shared servers stop when the tests end:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
package testenv

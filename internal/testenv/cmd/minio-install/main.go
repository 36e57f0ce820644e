// Command minio-install builds the pinned MinIO server into the cache the
// tests use, so CI pays for the build before the tests start.
package main

import (
	"fmt"
	"os"

	"github.com/kilnhq/kiln/internal/testenv"
)

func main() {
	bin, err := testenv.MinIOBinary(func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "minio-install:", err)
		os.Exit(1)
	}
	fmt.Println("minio:", bin)
}

// Command gen writes builder/gosdk/sdk.zip from the sources of sdk/go. Run
// it through `go generate ./builder/gosdk`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kilnhq/kiln/builder/gosdk/internal/sdkzip"
)

func main() {
	src := flag.String("src", "../../sdk/go", "folder of the Go guest SDK module")
	out := flag.String("out", "sdk.zip", "zip file to write")
	flag.Parse()
	if _, err := os.Stat(*src + "/go.mod"); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %s is not the SDK module: %v\n", *src, err)
		os.Exit(1)
	}
	b, err := sdkzip.Build(*src)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

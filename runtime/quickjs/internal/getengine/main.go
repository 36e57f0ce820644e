// Command getengine writes the pinned QuickJS engine and its LICENSE into
// the directory named by its argument (go generate ./runtime/quickjs), for
// binaries built with -tags kiln_embed_quickjs.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/kilnhq/kiln/runtime/quickjs"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: getengine DIR")
		os.Exit(2)
	}
	if err := quickjs.InstallEngine(context.Background(), os.Args[1], quickjs.Config{}); err != nil {
		fmt.Fprintln(os.Stderr, "getengine:", err)
		os.Exit(1)
	}
}

// Command kiln is the Kiln binary: `kiln serve` runs a node; the other
// commands talk to a running node's API.
package main

import (
	"fmt"
	"os"

	"github.com/kilnhq/kiln/gateway"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run a Kiln node (Postgres, NATS, storage and the API) on one data dir", runServe},
		{"version", "print the version", func([]string) error { fmt.Println("kiln", version); return nil }},
	}
}

func main() {
	gateway.Version = "kiln-" + version
	args := os.Args[1:]
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage()
		return
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if err := c.run(args[1:]); err != nil {
				fmt.Fprintln(os.Stderr, "kiln:", err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "kiln: unknown command %q\n\n", args[0])
	usage()
	os.Exit(2)
}

func usage() {
	fmt.Fprintln(os.Stderr, "Kiln — functions-first serverless platform on WebAssembly.\n\nUsage: kiln <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'kiln <command> -h' for a command's flags.")
}

// Command kiln is the Kiln binary: `kiln serve` runs a node; the other
// commands talk to a running node's API.
package main

import (
	"flag"
	"fmt"
	"github.com/kilnhq/kiln/runtime/quickjs"
	"os"
	"runtime"

	"github.com/kilnhq/kiln/cmd/kiln/internal/node"
	"github.com/kilnhq/kiln/gateway"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string) error
	// flags returns the command's flag set, for help; nil when it has none.
	flags func() *flag.FlagSet
}

func commands() []command {
	return []command{
		{"serve", "run a Kiln node (Postgres, NATS, storage and the API) on one data dir", runServe,
			func() *flag.FlagSet { return serveFlags(&node.Config{}, &serveOptions{}) }},
		{"deploy", "pack a folder, upload it, build it and activate it: kiln deploy DIR", runDeploy,
			func() *flag.FlagSet { return deployFlags(&deployOptions{}) }},
		{"invoke", "call a function and print its answer: kiln invoke FUNCTION [--data] [--method] [--path]", runInvoke, nil},
		{"logs", "show a function's executions with logs and fuel; -f follows: kiln logs FUNCTION [-f]", runLogs, nil},
		{"functions", "list, get or delete functions: kiln functions list|get|delete", runFunctions, nil},
		{"deployments", "list a function's deployments or activate one (rollback): kiln deployments list|activate", runDeployments, nil},
		{"vars", "set, list or remove a function's variables: kiln vars set|list|rm", runVars, nil},
		{"version", "print the version", runVersion, nil},
		{"help", "show the commands, or one command's flags: kiln help serve", runHelp, nil},
	}
}

func main() {
	gateway.Version = "kiln-" + version
	args := os.Args[1:]
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		args = []string{"help"}
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

func runVersion(args []string) error {
	license := quickjs.EngineLicense()
	if len(args) == 1 && args[0] == "--licenses" {
		if license == "" {
			fmt.Println("This binary embeds no third-party engine; the QuickJS-ng engine is fetched on first use with its LICENSE.")
			return nil
		}
		fmt.Printf("QuickJS-ng engine %s (@jitl/quickjs-ng-wasmfile-release-sync), embedded:\n\n%s\n", quickjs.EngineVersion, license)
		return nil
	}
	if len(args) > 0 {
		return fmt.Errorf("version takes no arguments but --licenses, got %q", args)
	}
	fmt.Printf("kiln %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if license != "" {
		fmt.Printf("embeds the QuickJS-ng engine %s (MIT; `kiln version --licenses` prints its license)\n", quickjs.EngineVersion)
	}
	return nil
}

// runHelp prints the commands and the flags of each (or of one command).
func runHelp(args []string) error {
	if len(args) > 0 {
		for _, c := range commands() {
			if c.name == args[0] {
				fmt.Fprintf(os.Stderr, "kiln %s: %s\n\n", c.name, c.summary)
				if c.flags != nil {
					printFlags(c.flags())
				}
				return nil
			}
		}
		return fmt.Errorf("unknown command %q", args[0])
	}
	usage()
	for _, c := range commands() {
		if c.flags != nil {
			fmt.Fprintln(os.Stderr)
			printFlags(c.flags())
		}
	}
	return nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "Kiln — functions-first serverless platform on WebAssembly.\n\nUsage: kiln <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
}

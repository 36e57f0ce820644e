package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kilnhq/kiln/sdk/client"
)

// runInvoke calls a function through the executions API and prints its answer.
func runInvoke(args []string) error {
	var data, method, path string
	var async bool
	o, c, pos, err := clientCommand("invoke", args, 1, "invoke FUNCTION [--data BODY] [--method M] [--path /p] [--async]", func(fs *flag.FlagSet) {
		fs.StringVar(&data, "data", "", "request body")
		fs.StringVar(&method, "method", "POST", "HTTP method")
		fs.StringVar(&path, "path", "/", "path (and query) the function sees")
		fs.BoolVar(&async, "async", false, "queue the execution and return at once")
	})
	if err != nil {
		return err
	}
	e, err := c.CreateExecution(context.Background(), pos[0], client.ExecutionParams{Body: data, Method: method, Path: path, Async: async})
	if err != nil {
		return err
	}
	if o.json {
		return printJSON(os.Stdout, e)
	}
	if async {
		fmt.Printf("Execution %s queued (%s)\n", e.ID, e.Status)
		return nil
	}
	fmt.Print(e.ResponseBody)
	if e.ResponseBody != "" && !strings.HasSuffix(e.ResponseBody, "\n") {
		fmt.Println()
	}
	fmt.Fprintf(os.Stderr, "status %d · %s · %.1f ms · fuel %d · memory %d bytes · execution %s\n",
		e.ResponseStatusCode, e.Status, e.Duration*1000, e.Fuel, e.Memory, e.ID)
	if e.Status == "failed" {
		return fmt.Errorf("execution failed: %s", e.Errors)
	}
	return nil
}

// runLogs prints a function's recent executions with their logs; -f keeps
// following new ones.
func runLogs(args []string) error {
	var follow bool
	var limit int
	o, c, pos, err := clientCommand("logs", args, 1, "logs FUNCTION [-f] [--limit N]", func(fs *flag.FlagSet) {
		fs.BoolVar(&follow, "f", false, "follow: keep printing new executions")
		fs.IntVar(&limit, "limit", 20, "how many recent executions to show")
	})
	if err != nil {
		return err
	}
	ctx := context.Background()
	execs, _, err := c.ListExecutions(ctx, pos[0], client.Query("orderDesc", "$createdAt"), client.Query("limit", "", limit))
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := len(execs) - 1; i >= 0; i-- {
		printExecution(o.json, execs[i])
		seen[execs[i].ID] = true
	}
	for follow {
		time.Sleep(time.Second)
		execs, _, err = c.ListExecutions(ctx, pos[0], client.Query("orderDesc", "$createdAt"), client.Query("limit", "", 100))
		if err != nil {
			return err
		}
		for i := len(execs) - 1; i >= 0; i-- {
			if !seen[execs[i].ID] && (execs[i].Status == "completed" || execs[i].Status == "failed") {
				printExecution(o.json, execs[i])
				seen[execs[i].ID] = true
			}
		}
	}
	return nil
}

func printExecution(asJSON bool, e client.Execution) {
	if asJSON {
		_ = printJSON(os.Stdout, e)
		return
	}
	fmt.Printf("%s  %s %s %s → %d %s  %.1f ms  fuel %d  memory %d\n", e.CreatedAt, e.ID, e.RequestMethod, e.RequestPath,
		e.ResponseStatusCode, e.Status, e.Duration*1000, e.Fuel, e.Memory)
	for _, line := range strings.Split(strings.TrimRight(e.Logs, "\n"), "\n") {
		if line != "" {
			fmt.Printf("    %s\n", line)
		}
	}
	if e.Errors != "" {
		fmt.Printf("    error: %s\n", strings.TrimSpace(e.Errors))
	}
}

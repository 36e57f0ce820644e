package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/kilnhq/kiln/sdk/client"
)

// clientCommand parses the shared client flags plus extra ones, checks the
// number of positional arguments and makes the API client.
func clientCommand(name string, args []string, nargs int, usage string, extra func(*flag.FlagSet)) (*clientOptions, *client.Client, []string, error) {
	o := &clientOptions{}
	fs := newFlagSet(name)
	o.register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := parseWithEnv(fs, reorderFlags(args)); err != nil {
		return nil, nil, nil, err
	}
	if fs.NArg() != nargs {
		return nil, nil, nil, errors.New("usage: kiln " + usage)
	}
	c, err := o.client()
	if err != nil {
		return nil, nil, nil, err
	}
	return o, c, fs.Args(), nil
}

func runFunctions(args []string) error {
	return subcommand("functions", map[string]func([]string) error{
		"list": func(args []string) error {
			o, c, _, err := clientCommand("functions list", args, 0, "functions list", nil)
			if err != nil {
				return err
			}
			fns, total, err := c.ListFunctions(context.Background())
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(os.Stdout, map[string]any{"total": total, "functions": fns})
			}
			rows := make([][]string, len(fns))
			for i, f := range fns {
				rows[i] = []string{f.ID, f.Name, f.Runtime, strconv.FormatBool(f.Enabled), orDash(f.DeploymentID)}
			}
			table(os.Stdout, []string{"ID", "NAME", "RUNTIME", "ENABLED", "DEPLOYMENT"}, rows)
			return nil
		},
		"get": func(args []string) error {
			o, c, pos, err := clientCommand("functions get", args, 1, "functions get ID", nil)
			if err != nil {
				return err
			}
			f, err := c.GetFunction(context.Background(), pos[0])
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(os.Stdout, f)
			}
			fmt.Printf("ID          %s\nName        %s\nRuntime     %s\nEnabled     %v\nTimeout     %ds\nDeployment  %s\nVariables   %d\n",
				f.ID, f.Name, f.Runtime, f.Enabled, f.Timeout, orDash(f.DeploymentID), len(f.Vars))
			return nil
		},
		"delete": func(args []string) error {
			_, c, pos, err := clientCommand("functions delete", args, 1, "functions delete ID", nil)
			if err != nil {
				return err
			}
			if err := c.DeleteFunction(context.Background(), pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "Deleted function %s\n", pos[0])
			return nil
		},
	}, args)
}

func runDeployments(args []string) error {
	return subcommand("deployments", map[string]func([]string) error{
		"list": func(args []string) error {
			o, c, pos, err := clientCommand("deployments list", args, 1, "deployments list FUNCTION", nil)
			if err != nil {
				return err
			}
			ctx := context.Background()
			f, err := c.GetFunction(ctx, pos[0])
			if err != nil {
				return err
			}
			ds, total, err := c.ListDeployments(ctx, pos[0])
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(os.Stdout, map[string]any{"total": total, "deployments": ds})
			}
			rows := make([][]string, len(ds))
			for i, d := range ds {
				active := ""
				if d.ID == f.DeploymentID {
					active = "*"
				}
				rows[i] = []string{d.ID + active, d.Status, d.CreatedAt, strconv.FormatInt(d.SourceSize, 10), strconv.FormatInt(d.BuildSize, 10)}
			}
			table(os.Stdout, []string{"ID (* active)", "STATUS", "CREATED", "SOURCE BYTES", "BUILD BYTES"}, rows)
			return nil
		},
		"activate": func(args []string) error {
			o, c, pos, err := clientCommand("deployments activate", args, 2, "deployments activate FUNCTION DEPLOYMENT", nil)
			if err != nil {
				return err
			}
			f, err := c.ActivateDeployment(context.Background(), pos[0], pos[1])
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(os.Stdout, f)
			}
			fmt.Printf("Function %s now serves deployment %s\n", f.ID, f.DeploymentID)
			return nil
		},
	}, args)
}

func runVars(args []string) error {
	return subcommand("vars", map[string]func([]string) error{
		"set": func(args []string) error {
			var secret bool
			_, c, pos, err := clientCommand("vars set", args, 3, "vars set FUNCTION KEY VALUE [--secret]", func(fs *flag.FlagSet) {
				fs.BoolVar(&secret, "secret", false, "store the value encrypted and never show it again")
			})
			if err != nil {
				return err
			}
			ctx := context.Background()
			vars, err := c.ListVariables(ctx, pos[0])
			if err != nil {
				return err
			}
			for _, v := range vars {
				if v.Key == pos[1] {
					_, err := c.UpdateVariable(ctx, pos[0], v.ID, pos[1], pos[2])
					return err
				}
			}
			_, err = c.CreateVariable(ctx, pos[0], pos[1], pos[2], secret)
			return err
		},
		"list": func(args []string) error {
			o, c, pos, err := clientCommand("vars list", args, 1, "vars list FUNCTION", nil)
			if err != nil {
				return err
			}
			vars, err := c.ListVariables(context.Background(), pos[0])
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(os.Stdout, vars)
			}
			rows := make([][]string, len(vars))
			for i, v := range vars {
				val := v.Value
				if v.Secret {
					val = "(secret)"
				}
				rows[i] = []string{v.Key, val}
			}
			table(os.Stdout, []string{"KEY", "VALUE"}, rows)
			return nil
		},
		"rm": func(args []string) error {
			_, c, pos, err := clientCommand("vars rm", args, 2, "vars rm FUNCTION KEY", nil)
			if err != nil {
				return err
			}
			ctx := context.Background()
			vars, err := c.ListVariables(ctx, pos[0])
			if err != nil {
				return err
			}
			for _, v := range vars {
				if v.Key == pos[1] {
					return c.DeleteVariable(ctx, pos[0], v.ID)
				}
			}
			return fmt.Errorf("function %s has no variable %s", pos[0], pos[1])
		},
	}, args)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

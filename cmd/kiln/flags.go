package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// envName is the environment variable that sets a flag: --s3-endpoint is
// KILN_S3_ENDPOINT.
func envName(flagName string) string {
	return "KILN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newFlagSet returns a flag set whose usage lists each flag with its
// environment variable.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() { printFlags(fs) }
	return fs
}

// parseWithEnv applies KILN_* environment variables to fs, then the
// command line, so a flag given on the command line wins over the
// environment, which wins over the built-in default.
func parseWithEnv(fs *flag.FlagSet, args []string) error {
	var errs []string
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Sprintf("$%s=%q: %v", envName(f.Name), v, err))
			}
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("bad environment: %s", strings.Join(errs, "; "))
	}
	return fs.Parse(args)
}

func printFlags(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprintf(out, "Flags of 'kiln %s' (each also set by the environment variable shown):\n", fs.Name())
	fs.VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(out, "  --%-22s $%-24s default %s\n      %s\n", f.Name, envName(f.Name), def, f.Usage)
	})
}

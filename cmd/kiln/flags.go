package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// envFlags registers flags whose defaults come from KILN_* environment
// variables, so a flag given on the command line wins over the environment,
// which wins over the built-in default.
type envFlags struct {
	fs   *flag.FlagSet
	errs []string
}

func envName(flagName string) string {
	return "KILN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (e *envFlags) String(p *string, name, def, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v
	}
	e.fs.StringVar(p, name, def, usage+" ($"+envName(name)+")")
}

func (e *envFlags) Int(p *int, name string, def int, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Sprintf("$%s=%q is not a number", envName(name), v))
		} else {
			def = n
		}
	}
	e.fs.IntVar(p, name, def, usage+" ($"+envName(name)+")")
}

func (e *envFlags) Bool(p *bool, name string, def bool, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Sprintf("$%s=%q is not true or false", envName(name), v))
		} else {
			def = b
		}
	}
	e.fs.BoolVar(p, name, def, usage+" ($"+envName(name)+")")
}

func (e *envFlags) parse(args []string) error {
	if len(e.errs) > 0 {
		return fmt.Errorf("%s", strings.Join(e.errs, "; "))
	}
	return e.fs.Parse(args)
}

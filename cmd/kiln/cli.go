package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/sdk/client"
)

// clientOptions are the flags every client command shares.
type clientOptions struct {
	endpoint string
	project  string
	key      string
	data     string
	json     bool
}

func (o *clientOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.endpoint, "endpoint", "http://127.0.0.1:8080/v1", "API endpoint of the Kiln server")
	fs.StringVar(&o.project, "project", platform.DefaultProjectID, "project id")
	fs.StringVar(&o.key, "key", "", "API key; empty reads <data>/admin.key of a local node")
	fs.StringVar(&o.data, "data-dir", "", "data dir of a local node, where the admin key is found when --key is empty; default $KILN_DATA or ./kiln_data")
	fs.BoolVar(&o.json, "json", false, "print JSON for scripts instead of text")
}

// client builds an API client. With no key given it uses the admin key of
// the local node's data dir, so `kiln serve` then `kiln deploy` just works.
func (o *clientOptions) client() (*client.Client, error) {
	key := o.key
	if key == "" {
		dir := o.data
		if dir == "" {
			dir = os.Getenv("KILN_DATA") // the same data dir `kiln serve` uses
		}
		if dir == "" {
			dir = "./kiln_data"
		}
		b, err := os.ReadFile(filepath.Join(dir, platform.AdminKeyFile))
		if err != nil {
			return nil, fmt.Errorf("no API key: pass --key or set KILN_KEY (or run where a local node keeps %s)", filepath.Join(dir, platform.AdminKeyFile))
		}
		key = strings.TrimSpace(string(b))
	}
	endpoint := strings.TrimSuffix(o.endpoint, "/")
	if !strings.HasSuffix(endpoint, "/v1") {
		endpoint += "/v1"
	}
	return &client.Client{Endpoint: endpoint, Project: o.project, Key: key}, nil
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints rows under a header, aligned.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// subcommand dispatches "kiln <group> <verb> ...".
func subcommand(group string, verbs map[string]func([]string) error, args []string) error {
	if len(args) == 0 || verbs[args[0]] == nil {
		names := make([]string, 0, len(verbs))
		for v := range verbs {
			names = append(names, v)
		}
		return fmt.Errorf("usage: kiln %s <%s> ...", group, strings.Join(sortStrings(names), "|"))
	}
	return verbs[args[0]](args[1:])
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

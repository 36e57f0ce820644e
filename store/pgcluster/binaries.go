package pgcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// binaries are the server programs a cluster needs.
type binaries struct {
	initdb, postgres string
}

// findBinaries looks in binDir when given, else on PATH, else in
// /usr/lib/postgresql/<version>/bin (highest version first), which is where
// Debian and Ubuntu install the server.
func findBinaries(binDir string) (binaries, error) {
	var dirs []string
	if binDir != "" {
		dirs = []string{binDir}
	} else {
		if p, err := exec.LookPath("postgres"); err == nil {
			dirs = append(dirs, filepath.Dir(p))
		}
		dirs = append(dirs, debianBinDirs()...)
	}
	for _, d := range dirs {
		b := binaries{initdb: filepath.Join(d, "initdb"), postgres: filepath.Join(d, "postgres")}
		if isExecutable(b.initdb) && isExecutable(b.postgres) {
			return b, nil
		}
	}
	if binDir != "" {
		return binaries{}, fmt.Errorf("looking in %s: %w", binDir, ErrBinariesNotFound)
	}
	return binaries{}, ErrBinariesNotFound
}

func debianBinDirs() []string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(p string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(p)), 64)
		return v
	}
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	return matches
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Version returns the server version the binaries report, e.g. "15.18".
func (b binaries) version() string {
	out, err := exec.Command(b.postgres, "--version").Output()
	if err != nil {
		return ""
	}
	// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
	f := strings.Fields(string(out))
	for i, w := range f {
		if w == "(PostgreSQL)" && i+1 < len(f) {
			return f[i+1]
		}
	}
	return ""
}

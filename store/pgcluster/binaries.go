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
	version          string // e.g. "15.18"
}

// major returns the major version ("15"; "9.6" for old servers).
func major(version string) string {
	parts := strings.Split(version, ".")
	if len(parts) >= 2 && parts[0] == "9" {
		return parts[0] + "." + parts[1]
	}
	return parts[0]
}

// findBinaries looks in binDir when given, else on PATH, else in
// /usr/lib/postgresql/<version>/bin (highest version first), which is where
// Debian and Ubuntu install the server. When wantMajor names the version an
// existing cluster was created with, a directory of that version is
// preferred, because Debian keeps several majors installed side by side.
func findBinaries(binDir, wantMajor string) (binaries, error) {
	var dirs []string
	if binDir != "" {
		dirs = []string{binDir}
	} else {
		if wantMajor != "" {
			dirs = append(dirs, filepath.Join("/usr/lib/postgresql", wantMajor, "bin"))
		}
		if p, err := exec.LookPath("postgres"); err == nil {
			dirs = append(dirs, filepath.Dir(p))
		}
		dirs = append(dirs, debianBinDirs()...)
	}
	for _, d := range dirs {
		b := binaries{initdb: filepath.Join(d, "initdb"), postgres: filepath.Join(d, "postgres")}
		if isExecutable(b.initdb) && isExecutable(b.postgres) {
			b.version = serverVersion(b.postgres)
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

// serverVersion returns the version postgres reports, e.g. "15.18"; "" if it cannot tell.
func serverVersion(postgres string) string {
	out, err := exec.Command(postgres, "--version").Output()
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

// dataVersion returns the major version recorded in dir/PG_VERSION, "" if none.
func dataVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

package golang

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/builder/diag"
)

var (
	// locLine matches "file:line: text" and "file:line:col: text".
	locLine = regexp.MustCompile(`^([^\s:#][^:]*):(\d+)(?::(\d+))?: (.+)$`)
	// Import paths the go command could not resolve, in its wordings.
	missingPkg = regexp.MustCompile(`(?:providing package|provides package|package) ([^\s:;]+)`)
	quoted     = regexp.MustCompile(`^"([^"]+)"`)
)

// noise are go command lines that are progress, not diagnostics.
var noise = []string{"go: downloading ", "go: finding ", "go: errors parsing go.mod:", "go: to add module requirements", "go: updates to go.mod needed"}

// parseMessages turns go command output (already relativized) into
// messages: one per diagnostic, continuation lines (indented) folded into
// the one before, "# package" headers and progress lines dropped, and a
// plain-language hint for the failures users meet most (a dependency that
// is not vendored, a newer Go than this Kiln's).
func parseMessages(lines []string, srcDir string) []diag.Message {
	var msgs []diag.Message
	for _, l := range lines {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "# ") || hasAnyPrefix(l, noise) {
			continue
		}
		if (strings.HasPrefix(l, "\t") || strings.HasPrefix(l, "  ")) && len(msgs) > 0 {
			msgs[len(msgs)-1].Text += "\n" + strings.TrimSpace(l)
			continue
		}
		m := diag.Message{Text: l}
		if sub := locLine.FindStringSubmatch(l); sub != nil {
			m.File = strings.TrimPrefix(sub[1], "./")
			m.Line, _ = strconv.Atoi(sub[2])
			m.Column, _ = strconv.Atoi(sub[3])
			m.Text = sub[4]
		} else {
			m.Text = strings.TrimPrefix(l, "go: ")
		}
		m = explain(m, srcDir)
		if len(msgs) > 0 && msgs[len(msgs)-1] == m {
			continue
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func explain(m diag.Message, srcDir string) diag.Message {
	switch {
	case strings.Contains(m.Text, "disabled by GOPROXY=off") || strings.Contains(m.Text, "no required module provides package"):
		pkg := importAt(srcDir, m)
		if pkg == "" {
			if sub := missingPkg.FindStringSubmatch(m.Text); sub != nil {
				pkg = sub[1]
			}
		}
		if pkg == "" {
			pkg = "a dependency"
		}
		m.Text = fmt.Sprintf("cannot load %s: Kiln builds Go code offline, so modules other than the Kiln SDK must be vendored: run \"go mod vendor\" and deploy the vendor directory", pkg)
	case strings.Contains(m.Text, "import lookup disabled by -mod=vendor"):
		pkg := importAt(srcDir, m)
		if pkg == "" {
			pkg = "a dependency"
		}
		m.Text = fmt.Sprintf("cannot load %s: it is not in vendor/; run \"go mod vendor\" again and deploy the vendor directory", pkg)
	case strings.Contains(m.Text, "GOTOOLCHAIN=local") && strings.Contains(m.Text, "requires go >="):
		if m.File == "" {
			m.File = "go.mod"
		}
		m.Text += ": this Kiln builds with the Go shown in parentheses; lower the go line in go.mod"
	}
	return m
}

// importAt reads the import path quoted at m's position in the source, so
// the hint can name what is missing even when the go command does not.
func importAt(srcDir string, m diag.Message) string {
	if m.File == "" || m.Line == 0 || m.Column == 0 || !filepath.IsLocal(m.File) {
		return ""
	}
	f, err := os.Open(filepath.Join(srcDir, filepath.FromSlash(m.File)))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if n != m.Line {
			continue
		}
		line := sc.Text()
		if m.Column-1 >= len(line) {
			return ""
		}
		if sub := quoted.FindStringSubmatch(line[m.Column-1:]); sub != nil {
			return sub[1]
		}
		return ""
	}
	return ""
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

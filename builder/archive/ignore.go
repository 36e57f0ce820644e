package archive

import (
	"bufio"
	"io"
	"regexp"
	"strings"
)

// IgnoreFile is the name of the optional file, at the root of a folder, whose
// gitignore-style patterns Pack leaves out.
const IgnoreFile = ".kilnignore"

// ignoreRule is one compiled .kilnignore line.
type ignoreRule struct {
	re      *regexp.Regexp
	negate  bool
	dirOnly bool
}

// ignoreList implements the common part of gitignore: "#" comments, "!"
// negation, a trailing "/" for directories only, a leading or inner "/"
// anchoring to the root, and "*", "?", "[...]" and "**" wildcards. The last
// matching rule wins; contents of an ignored directory stay ignored.
type ignoreList []ignoreRule

func parseIgnore(r io.Reader) (ignoreList, error) {
	var list ignoreList
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var rule ignoreRule
		if strings.HasPrefix(line, "!") {
			rule.negate = true
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			rule.dirOnly = true
			line = strings.TrimRight(line, "/")
		}
		if line == "" {
			continue
		}
		anchored := strings.Contains(line, "/")
		line = strings.TrimPrefix(line, "/")
		re, err := regexp.Compile(globRegexp(line, anchored))
		if err != nil {
			continue // a malformed class matches nothing, as in git
		}
		rule.re = re
		list = append(list, rule)
	}
	return list, sc.Err()
}

// ignored reports whether rel (slash-separated, relative to the root) is
// excluded by the list.
func (l ignoreList) ignored(rel string, isDir bool) bool {
	out := false
	for _, r := range l {
		if r.dirOnly && !isDir {
			continue
		}
		if r.re.MatchString(rel) {
			out = !r.negate
		}
	}
	return out
}

func globRegexp(pat string, anchored bool) string {
	var b strings.Builder
	b.WriteString("^")
	if !anchored {
		b.WriteString("(?:.*/)?")
	}
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case strings.HasPrefix(pat[i:], "**/") && (i == 0 || pat[i-1] == '/'):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(pat[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			end := strings.IndexByte(pat[i+1:], ']')
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := pat[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end + 1
		case c == '\\' && i+1 < len(pat):
			i++
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		default:
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		}
	}
	b.WriteString("$")
	return b.String()
}

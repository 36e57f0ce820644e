package archive

import (
	"strings"
)

// cleanName turns an entry name into a slash-separated path relative to the
// destination, or says why it is unsafe. "./" prefixes and empty or "."
// components are dropped; ".." anywhere, absolute paths, backslashes and
// NUL bytes are refused rather than interpreted, so the result never
// depends on what is already on disk. An empty result means the root.
func cleanName(name string) (string, string) {
	if strings.ContainsRune(name, 0) {
		return "", "name contains a NUL byte"
	}
	if strings.Contains(name, `\`) {
		return "", "name contains a backslash"
	}
	if strings.HasPrefix(name, "/") {
		return "", "absolute path"
	}
	parts := strings.Split(name, "/")
	out := parts[:0]
	for _, p := range parts {
		switch p {
		case "", ".":
			continue
		case "..":
			return "", "path contains .."
		}
		out = append(out, p)
	}
	return strings.Join(out, "/"), ""
}

// cleanLinkTarget checks a symlink target for a link at path name (already
// cleaned). The rule, which makes every link resolve inside the destination
// whatever order entries arrive in: the target is relative, its ".."
// components all come first, and there are no more of them than directories
// above the link. Links are never created through another symlink and never
// replace an entry, so each ".." climbs a real directory, and the rest of the
// target only descends (through links that obey the same rule).
func cleanLinkTarget(name, target string) (string, string) {
	if target == "" {
		return "", "symlink has an empty target"
	}
	if strings.ContainsRune(target, 0) || strings.Contains(target, `\`) {
		return "", "symlink target contains a NUL byte or backslash"
	}
	if strings.HasPrefix(target, "/") {
		return "", "symlink target is absolute"
	}
	depth := strings.Count(name, "/") // directories above the link
	ups := 0
	var out []string
	for _, p := range strings.Split(target, "/") {
		switch p {
		case "", ".":
			continue
		case "..":
			if len(out) > 0 {
				return "", "symlink target has .. after a name (write it as a plain relative path)"
			}
			ups++
			if ups > depth {
				return "", "symlink target points outside the archive"
			}
			continue
		}
		out = append(out, p)
	}
	clean := strings.Repeat("../", ups) + strings.Join(out, "/")
	clean = strings.TrimSuffix(clean, "/")
	if clean == "" {
		clean = "."
	}
	return clean, ""
}

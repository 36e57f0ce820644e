package quickjs

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

//go:embed prelude/*.js
var preludeFS embed.FS

var preludeOnce = sync.OnceValue(func() string {
	names, err := fs.Glob(preludeFS, "prelude/*.js")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("(function (host) {\n")
	for _, n := range names {
		src, err := preludeFS.ReadFile(n)
		if err != nil {
			panic(err)
		}
		b.Write(src)
		b.WriteString("\n")
	}
	b.WriteString("})")
	return b.String()
})

// preludeSource is the Web API prelude: every prelude/*.js file in name
// order, as the body of one function taking the host object.
func preludeSource() string { return preludeOnce() }

package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"
)

// FuzzExtract checks the one promise that matters for any input: Extract
// returns an error or writes files, and whatever it writes (links included)
// stays inside the destination.
func FuzzExtract(f *testing.F) {
	f.Add(tgz(f, goodEntries()...))
	f.Add(tarBytes(f, goodEntries()...))
	f.Add(zipBytes(f, goodEntries()[:4]...))
	f.Add(tgz(f, ent{name: "y", typ: tar.TypeSymlink, link: "x/.."}, ent{name: "x", typ: tar.TypeSymlink, link: "."}))
	f.Add(tarBytes(f, ent{name: "l", typ: tar.TypeSymlink, link: "sub"}, ent{name: "l/f", body: "x"}))
	f.Add(tarBytes(f, ent{name: "a/b/l", typ: tar.TypeSymlink, link: "../../.."}))
	f.Add(tarBytes(f, ent{name: "h", typ: tar.TypeLink, link: "../x"}))
	f.Add(zipBytes(f, ent{name: "l", typ: tar.TypeSymlink, link: "../x"}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		parent, dst := sandbox(t)
		_, _ = Extract(context.Background(), bytes.NewReader(data), dst, Limits{MaxFiles: 200, MaxTotalBytes: 1 << 20})
		checkContained(t, parent, dst)
	})
}

package quickjs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// sourceMap maps positions in a bundle back to the user's sources (source
// map v3, as esbuild writes it), so stack traces name the user's files.
type sourceMap struct {
	sources []string
	// lines[i] holds the segments of generated line i+1, sorted by column.
	lines [][]mapSegment
}

type mapSegment struct {
	genCol, src, line, col int
}

const inlineMapPrefix = "//# sourceMappingURL=data:application/json;base64,"

// inlineSourceMap finds the source map a bundle carries inline.
func inlineSourceMap(code []byte) []byte {
	i := bytes.LastIndex(code, []byte(inlineMapPrefix))
	if i < 0 {
		return nil
	}
	enc := bytes.TrimSpace(code[i+len(inlineMapPrefix):])
	b, err := base64.StdEncoding.DecodeString(string(enc))
	if err != nil {
		return nil
	}
	return b
}

func parseSourceMap(b []byte) (*sourceMap, error) {
	var raw struct {
		Version  int
		Sources  []string
		Mappings string
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	if raw.Version != 3 {
		return nil, errors.New("source map version is not 3")
	}
	m := &sourceMap{sources: raw.Sources}
	var src, line, col int
	for _, l := range strings.Split(raw.Mappings, ";") {
		var segs []mapSegment
		genCol := 0
		for _, s := range strings.Split(l, ",") {
			if s == "" {
				continue
			}
			v, err := decodeVLQ(s)
			if err != nil {
				return nil, err
			}
			genCol += v[0]
			if len(v) < 4 {
				continue
			}
			src += v[1]
			line += v[2]
			col += v[3]
			segs = append(segs, mapSegment{genCol, src, line, col})
		}
		sort.Slice(segs, func(i, j int) bool { return segs[i].genCol < segs[j].genCol })
		m.lines = append(m.lines, segs)
	}
	return m, nil
}

func decodeVLQ(s string) ([]int, error) {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out []int
	v, shift := 0, 0
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(chars, s[i])
		if d < 0 {
			return nil, errors.New("bad VLQ digit")
		}
		v |= (d & 31) << shift
		if d&32 != 0 {
			shift += 5
			continue
		}
		n := v >> 1
		if v&1 != 0 {
			n = -n
		}
		out = append(out, n)
		v, shift = 0, 0
	}
	return out, nil
}

// lookup maps a 1-based generated line and column.
func (m *sourceMap) lookup(line, col int) (string, int, int, bool) {
	if line < 1 || line > len(m.lines) {
		return "", 0, 0, false
	}
	segs := m.lines[line-1]
	i := sort.Search(len(segs), func(i int) bool { return segs[i].genCol > col-1 }) - 1
	if i < 0 || segs[i].src < 0 || segs[i].src >= len(m.sources) {
		return "", 0, 0, false
	}
	s := segs[i]
	return m.sources[s.src], s.line + 1, s.col + 1 + (col - 1 - s.genCol), true
}

// mapStack rewrites "name:line:col" positions of the bundle in a stack.
func (m *sourceMap) mapStack(stack, name string) string {
	re := regexp.MustCompile(regexp.QuoteMeta(name) + `:(\d+)(?::(\d+))?`)
	return re.ReplaceAllStringFunc(stack, func(pos string) string {
		p := re.FindStringSubmatch(pos)
		line, _ := strconv.Atoi(p[1])
		col := 1
		if p[2] != "" {
			col, _ = strconv.Atoi(p[2])
		}
		file, l, _, ok := m.lookup(line, col)
		if !ok {
			return pos
		}
		// Columns inside an expression are approximate once mapped; the
		// line is what a reader needs.
		return file + ":" + strconv.Itoa(l)
	})
}

// mapError rewrites the bundle positions in err's *JSError, if any.
func (m *sourceMap) mapError(err error, name string) {
	var je *JSError
	if m == nil || !errors.As(err, &je) {
		return
	}
	je.Stack = m.mapStack(je.Stack, name)
}

func parseSourceMapIfAny(bundle []byte) (*sourceMap, error) {
	b := inlineSourceMap(bundle)
	if b == nil {
		return nil, nil
	}
	return parseSourceMap(b)
}

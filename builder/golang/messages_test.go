package golang

import (
	"reflect"
	"testing"

	"github.com/kilnhq/kiln/builder/diag"
)

func TestParseMessages(t *testing.T) {
	src := writeSource(t, map[string]string{"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"github.com/acme/widgets\"\n)\n"})
	lines := []string{
		"go: downloading github.com/acme/widgets v1.2.3",
		"# example.com/fn/calc",
		"./calc.go:4:17: undefined: missing",
		"calc/more.go:9:2: declared and not used: x",
		"calc/more.go:9:2: declared and not used: x",
		"main.go:5:2: module lookup disabled by GOPROXY=off",
		"go: errors parsing go.mod:",
		"go.mod:5: syntax error (unterminated block started at go.mod:4:1)",
		"go: inconsistent vendoring in .:",
		"\tgithub.com/acme/widgets@v1.2.3: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt",
		"",
		"link: duplicated definition of symbol main.x",
	}
	want := []diag.Message{
		{File: "calc.go", Line: 4, Column: 17, Text: "undefined: missing"},
		{File: "calc/more.go", Line: 9, Column: 2, Text: "declared and not used: x"},
		{File: "main.go", Line: 5, Column: 2, Text: `cannot load github.com/acme/widgets: Kiln builds Go code offline, so modules other than the Kiln SDK must be vendored: run "go mod vendor" and deploy the vendor directory`},
		{File: "go.mod", Line: 5, Text: "syntax error (unterminated block started at go.mod:4:1)"},
		{Text: "inconsistent vendoring in .:\ngithub.com/acme/widgets@v1.2.3: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt"},
		{Text: "link: duplicated definition of symbol main.x"},
	}
	if got := parseMessages(lines, src); !reflect.DeepEqual(got, want) {
		t.Errorf("parseMessages:\n got %#v\nwant %#v", got, want)
	}
}

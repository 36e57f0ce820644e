// Package diag holds build diagnostics: messages with source locations,
// shared by every builder (Go, JS, prebuilt wasm), and the BuildError that
// carries them to the caller and, through the build log, to the user.
package diag

import (
	"fmt"
	"strings"
)

// Message is one diagnostic. File is relative to the deployment's source
// root (never a path on the build machine) and empty when the message is
// not about a file; Line and Column are 1-based and 0 when unknown.
type Message struct {
	Text   string
	File   string
	Line   int
	Column int
}

// String formats m the way compilers do: "file:line:col: text".
func (m Message) String() string {
	switch {
	case m.File == "":
		return m.Text
	case m.Line == 0:
		return m.File + ": " + m.Text
	case m.Column == 0:
		return fmt.Sprintf("%s:%d: %s", m.File, m.Line, m.Text)
	}
	return fmt.Sprintf("%s:%d:%d: %s", m.File, m.Line, m.Column, m.Text)
}

// BuildError is a build that failed because of the deployment itself (its
// code, its files, its limits), as opposed to a failure of the build
// machine. Messages say what to fix; Err, if set, is a sentinel callers can
// branch on with errors.Is.
type BuildError struct {
	Messages []Message
	Err      error
}

func (e *BuildError) Error() string {
	if len(e.Messages) == 0 {
		if e.Err != nil {
			return "build failed: " + e.Err.Error()
		}
		return "build failed"
	}
	var b strings.Builder
	b.WriteString("build failed: ")
	b.WriteString(e.Messages[0].String())
	if n := len(e.Messages) - 1; n > 0 {
		fmt.Fprintf(&b, " (and %d more)", n)
	}
	return b.String()
}

func (e *BuildError) Unwrap() error { return e.Err }

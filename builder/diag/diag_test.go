package diag

import (
	"errors"
	"testing"
)

func TestMessageString(t *testing.T) {
	for _, tc := range []struct {
		m    Message
		want string
	}{
		{Message{Text: "boom"}, "boom"},
		{Message{Text: "boom", File: "main.go"}, "main.go: boom"},
		{Message{Text: "boom", File: "main.go", Line: 3}, "main.go:3: boom"},
		{Message{Text: "boom", File: "main.go", Line: 3, Column: 7}, "main.go:3:7: boom"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestBuildError(t *testing.T) {
	sentinel := errors.New("compile error")
	err := error(&BuildError{Err: sentinel, Messages: []Message{
		{Text: "undefined: x", File: "main.go", Line: 9, Column: 2},
		{Text: "undefined: y", File: "main.go", Line: 10, Column: 2},
	}})
	if got, want := err.Error(), "build failed: main.go:9:2: undefined: x (and 1 more)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, sentinel) {
		t.Error("BuildError does not unwrap to its sentinel")
	}
}

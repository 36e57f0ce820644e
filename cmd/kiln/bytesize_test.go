package main

import "testing"

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]byteSize{
		"31457280": 31457280,
		"30MiB":    30 << 20,
		"30 mib":   30 << 20,
		"30MB":     30_000_000,
		"64KB":     64_000,
		"1GiB":     1 << 30,
		"512b":     512,
		"0":        0,
	} {
		got, err := parseByteSize(in)
		if err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "-1", "1.5MB", "30 TB", "10XB", "99999999999GiB"} {
		if got, err := parseByteSize(bad); err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", bad, got)
		}
	}
	if s := byteSize(30 << 20).String(); s != "30MiB" {
		t.Errorf("String() = %q", s)
	}
}

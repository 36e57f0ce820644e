package quickjs

import "testing"

func TestParseURL(t *testing.T) {
	cases := []struct{ in, base, href string }{
		{"http://EXAMPLE.com", "", "http://example.com/"},
		{"https://example.com:443/", "", "https://example.com/"},
		{"http://example.com:8080/a/../b/./c", "", "http://example.com:8080/b/c"},
		{"http://example.com/a b?c d#e f", "", "http://example.com/a%20b?c%20d#e%20f"},
		{`http:\\example.com\a\b`, "", "http://example.com/a/b"},
		{"HTTP://u:p@h.test/", "", "http://u:p@h.test/"},
		{"b/c", "http://h.test/a/x", "http://h.test/a/b/c"},
		{"../../../z", "http://h.test/a/b/c", "http://h.test/z"},
		{"?q", "http://h.test/a/b?x#y", "http://h.test/a/b?q"},
		{"#f", "http://h.test/a/b?x#y", "http://h.test/a/b?x#f"},
		{"", "http://h.test/a/b?x#y", "http://h.test/a/b?x"},
		{"http:other", "http://h.test/a/b", "http://h.test/a/other"},
		{"data:text/plain,hi", "", "data:text/plain,hi"},
		{"file:///etc/hosts", "", "file:///etc/hosts"},
		{"http://h.test/%2e%2E/x", "", "http://h.test/x"},
		{"https://h.test/?'", "", "https://h.test/?%27"},
		{"foo://h.test/?'", "", "foo://h.test/?'"},
	}
	for _, c := range cases {
		var base *parsedURL
		if c.base != "" {
			var err error
			if base, err = parseURL(c.base, nil); err != nil {
				t.Fatalf("base %q: %v", c.base, err)
			}
		}
		u, err := parseURL(c.in, base)
		if err != nil {
			t.Errorf("%q (base %q): %v", c.in, c.base, err)
			continue
		}
		if u.Href != c.href {
			t.Errorf("%q (base %q) = %q, want %q", c.in, c.base, u.Href, c.href)
		}
	}
	for _, bad := range []string{"", "http://", "http://h:99999/", "http://a b/", "http://[::1/", "no-scheme"} {
		if u, err := parseURL(bad, nil); err == nil {
			t.Errorf("%q parsed as %q", bad, u.Href)
		}
	}
}

func TestDecodeUTF8(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"abc", "abc"},
		{"a\xffb", "a\uFFFDb"},
		{"\xf0\x9f\x98", "\uFFFD"},             // truncated 4-byte sequence: one maximal subpart
		{"\xe2\x28\xa1", "\uFFFD(\uFFFD"},      // invalid continuation
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // surrogate: each byte replaced
	}
	for _, c := range cases {
		got, ok := decodeUTF8([]byte(c.in), false)
		if !ok || got != c.want {
			t.Errorf("decode %q = %q, want %q", c.in, got, c.want)
		}
	}
	if _, ok := decodeUTF8([]byte("\xff"), true); ok {
		t.Error("fatal decode accepted invalid input")
	}
	if got := string(wtf8ToUTF8([]byte("a\xed\xa0\x80b"))); got != "a\uFFFDb" {
		t.Errorf("wtf8 = %q", got)
	}
}

package quickjs

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// parsedURL is a URL split the way the WHATWG URL standard exposes it to
// JavaScript. parseURL follows that standard for what workers meet in
// practice (special schemes, relative references, percent-encoding, dot
// segments, default ports, IDNA hosts); IPv4 shorthand forms are not
// normalised.
type parsedURL struct {
	Href     string `json:"href"`
	Protocol string `json:"protocol"`
	Username string `json:"username"`
	Password string `json:"password"`
	Host     string `json:"host"`
	Hostname string `json:"hostname"`
	Port     string `json:"port"`
	Pathname string `json:"pathname"`
	Search   string `json:"search"`
	Hash     string `json:"hash"`
	Origin   string `json:"origin"`

	scheme  string
	hasHost bool
	opaque  bool
}

var errInvalidURL = errors.New("invalid URL")

var specialPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21", "file": ""}

func isSpecial(scheme string) bool { _, ok := specialPorts[scheme]; return ok }

func parseURL(input string, base *parsedURL) (*parsedURL, error) {
	input = strings.TrimFunc(input, func(r rune) bool { return r <= ' ' })
	input = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, input)
	scheme, rest, ok := splitScheme(input)
	if !ok {
		if base == nil {
			return nil, errInvalidURL
		}
		return resolveRelative(input, base)
	}
	if base != nil && isSpecial(scheme) && scheme == base.scheme && !strings.HasPrefix(rest, "/") && !strings.HasPrefix(rest, `\`) {
		return resolveRelative(rest, base)
	}
	return parseAbsolute(scheme, rest)
}

func splitScheme(s string) (scheme, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(s[:i]), s[i+1:], true
		default:
			return "", "", false
		}
	}
	return "", "", false
}

func resolveRelative(in string, base *parsedURL) (*parsedURL, error) {
	special := isSpecial(base.scheme)
	isSlash := func(c byte) bool { return c == '/' || special && c == '\\' }
	prefix := base.scheme + ":"
	if base.hasHost {
		prefix += "//" + userinfo(base) + base.Host
	}
	switch {
	case base.opaque:
		if strings.HasPrefix(in, "#") {
			return parseURL(strings.TrimSuffix(base.Href, base.Hash)+in, nil)
		}
		return nil, errInvalidURL
	case len(in) >= 2 && isSlash(in[0]) && isSlash(in[1]):
		return parseAbsolute(base.scheme, in)
	case len(in) >= 1 && isSlash(in[0]):
		return parseAbsolute(base.scheme, strings.TrimPrefix(prefix, base.scheme+":")+in)
	case in == "":
		return parseAbsolute(base.scheme, strings.TrimPrefix(prefix, base.scheme+":")+base.Pathname+base.Search)
	case in[0] == '?':
		return parseAbsolute(base.scheme, strings.TrimPrefix(prefix, base.scheme+":")+base.Pathname+in)
	case in[0] == '#':
		return parseAbsolute(base.scheme, strings.TrimPrefix(prefix, base.scheme+":")+base.Pathname+base.Search+in)
	}
	dir := base.Pathname
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		dir = dir[:i+1]
	} else {
		dir = "/"
	}
	return parseAbsolute(base.scheme, strings.TrimPrefix(prefix, base.scheme+":")+dir+in)
}

func userinfo(u *parsedURL) string {
	if u.Username == "" && u.Password == "" {
		return ""
	}
	if u.Password == "" {
		return u.Username + "@"
	}
	return u.Username + ":" + u.Password + "@"
}

func parseAbsolute(scheme, rest string) (*parsedURL, error) {
	u := &parsedURL{scheme: scheme, Protocol: scheme + ":"}
	special := isSpecial(scheme)
	// Split off fragment and query first; they never hold authority or path.
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		u.Hash = "#" + encodeSet(rest[i+1:], fragmentSet)
		if u.Hash == "#" {
			u.Hash = ""
		}
		rest = rest[:i]
	}
	var query string
	hasQuery := false
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		query, rest, hasQuery = rest[i+1:], rest[:i], true
	}
	if special {
		rest = strings.ReplaceAll(rest, `\`, "/")
	}
	switch {
	case scheme == "file":
		auth := ""
		if strings.HasPrefix(rest, "//") {
			rest = rest[2:]
			auth = rest
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				auth, rest = rest[:i], rest[i:]
			} else {
				rest = ""
			}
		}
		if err := u.setAuthority(auth); err != nil {
			return nil, err
		}
		if u.Hostname == "localhost" {
			u.Hostname = ""
		}
		u.hasHost = true
		u.Pathname = normalisePath(rest, true)
	case special:
		rest = strings.TrimLeft(rest, "/")
		auth := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			auth, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		if err := u.setAuthority(auth); err != nil {
			return nil, err
		}
		if u.Hostname == "" {
			return nil, errInvalidURL
		}
		u.hasHost = true
		u.Pathname = normalisePath(rest, true)
	case strings.HasPrefix(rest, "//"):
		rest = rest[2:]
		auth := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			auth, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		if err := u.setAuthority(auth); err != nil {
			return nil, err
		}
		u.hasHost = true
		u.Pathname = normalisePath(rest, false)
	case strings.HasPrefix(rest, "/"):
		u.Pathname = normalisePath(rest, false)
	default:
		u.opaque = true
		u.Pathname = encodeSet(rest, c0Set)
	}
	if hasQuery {
		set := querySet
		if special {
			set = specialQuerySet
		}
		u.Search = "?" + encodeSet(query, set)
		if u.Search == "?" {
			u.Search = ""
		}
	}
	u.finish(hasQuery)
	return u, nil
}

func (u *parsedURL) setAuthority(auth string) error {
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		info := auth[:i]
		auth = auth[i+1:]
		user, pass, _ := strings.Cut(info, ":")
		u.Username = encodeSet(user, userinfoSet)
		u.Password = encodeSet(pass, userinfoSet)
	}
	host, port := auth, ""
	if strings.HasPrefix(auth, "[") {
		end := strings.IndexByte(auth, ']')
		if end < 0 {
			return errInvalidURL
		}
		host, port = auth[:end+1], strings.TrimPrefix(auth[end+1:], ":")
		if a, err := netip.ParseAddr(host[1 : len(host)-1]); err != nil || !a.Is6() {
			return errInvalidURL
		} else {
			host = "[" + a.String() + "]"
		}
	} else if i := strings.LastIndexByte(auth, ':'); i >= 0 {
		host, port = auth[:i], auth[i+1:]
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
			return errInvalidURL
		}
		port = strconv.Itoa(n)
		if specialPorts[u.scheme] == port {
			port = ""
		}
	}
	if !strings.HasPrefix(host, "[") {
		h, err := canonicalHost(host, isSpecial(u.scheme))
		if err != nil {
			return err
		}
		host = h
	}
	u.Hostname, u.Port = host, port
	return nil
}

func canonicalHost(h string, special bool) (string, error) {
	if !special {
		for i := 0; i < len(h); i++ {
			if strings.IndexByte(" #/:<>?@[\\]^|", h[i]) >= 0 {
				return "", errInvalidURL
			}
		}
		return encodeSet(h, c0Set), nil
	}
	h = percentDecode(h)
	ascii := true
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		h = strings.ToLower(h)
	} else {
		a, err := idna.Lookup.ToASCII(h)
		if err != nil {
			return "", errInvalidURL
		}
		h = a
	}
	for i := 0; i < len(h); i++ {
		if h[i] <= ' ' || strings.IndexByte("#%/:<>?@[\\]^|", h[i]) >= 0 || h[i] == 0x7f {
			return "", errInvalidURL
		}
	}
	return h, nil
}

func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func normalisePath(p string, special bool) string {
	if p == "" {
		if special {
			return "/"
		}
		return ""
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(s) {
		case ".", "%2e":
			if last {
				out = append(out, "")
			}
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, encodeSet(s, pathSet))
		}
	}
	return "/" + strings.Join(out, "/")
}

func (u *parsedURL) finish(hasQuery bool) {
	u.Host = u.Hostname
	if u.Port != "" {
		u.Host += ":" + u.Port
	}
	var b strings.Builder
	b.WriteString(u.Protocol)
	if u.hasHost {
		b.WriteString("//")
		b.WriteString(userinfo(u))
		b.WriteString(u.Host)
	} else if !u.opaque && strings.HasPrefix(u.Pathname, "//") {
		b.WriteString("/.")
	}
	b.WriteString(u.Pathname)
	if hasQuery && u.Search == "" {
		b.WriteString("?")
	}
	b.WriteString(u.Search)
	b.WriteString(u.Hash)
	u.Href = b.String()
	switch u.scheme {
	case "http", "https", "ws", "wss", "ftp":
		u.Origin = u.Protocol + "//" + u.Host
	default:
		u.Origin = "null"
	}
}

type encodeSetFn func(c byte) bool

func c0Set(c byte) bool       { return c < 0x20 || c > 0x7e }
func fragmentSet(c byte) bool { return c0Set(c) || strings.IndexByte(" \"<>`", c) >= 0 }
func querySet(c byte) bool    { return c0Set(c) || strings.IndexByte(" \"#<>", c) >= 0 }
func specialQuerySet(c byte) bool {
	return querySet(c) || c == '\''
}
func pathSet(c byte) bool     { return querySet(c) || strings.IndexByte("?^`{}", c) >= 0 }
func userinfoSet(c byte) bool { return pathSet(c) || strings.IndexByte("/:;=@[\\]|", c) >= 0 }

func encodeSet(s string, set encodeSetFn) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if set(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if set(c) {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

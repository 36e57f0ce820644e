//go:build !wasip1

package kiln

import (
	"net/http"
	"os"
)

var levelNames = [...]string{"DEBUG", "INFO", "WARN", "ERROR"}

func writeLog(level uint32, msg []byte) {
	os.Stderr.Write(append(append([]byte(levelNames[level&3]+" "), msg...), '\n'))
}

// RoundTrip implements http.RoundTripper with http.DefaultTransport.
func (Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return http.DefaultTransport.RoundTrip(req)
}

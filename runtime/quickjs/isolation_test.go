package quickjs

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClockPerRequest: Date.now and performance.now come from the host
// clock, not from the snapshot, so they advance between requests that all
// start from the same memory.
func TestClockPerRequest(t *testing.T) {
	w := load(t, `const atLoad = Date.now();
export default { fetch() { return new Response(atLoad + " " + Date.now()) } }`, LoadOptions{})
	before := time.Now().UnixMilli()
	var last int64
	for i := 0; i < 3; i++ {
		time.Sleep(5 * time.Millisecond)
		f := strings.Fields(body(t, w, get("http://x/")))
		atLoad, _ := strconv.ParseInt(f[0], 10, 64)
		now, _ := strconv.ParseInt(f[1], 10, 64)
		if atLoad > before || now < before || now <= last || now > time.Now().UnixMilli() {
			t.Fatalf("request %d: load %d, now %d, previous %d, test start %d", i, atLoad, now, last, before)
		}
		last = now
	}
}

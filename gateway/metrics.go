package gateway

import (
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// latencyBuckets are the histogram bounds in seconds.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics counts requests by route and status and keeps a latency histogram,
// rendered in the Prometheus text format.
type metrics struct {
	mu       sync.Mutex
	requests map[[3]string]uint64 // method, route, status
	buckets  []uint64
	count    uint64
	sum      float64
	started  time.Time
}

func newMetrics() *metrics {
	return &metrics{requests: map[[3]string]uint64{}, buckets: make([]uint64, len(latencyBuckets)), started: time.Now()}
}

func (m *metrics) middleware(c *fiber.Ctx) error {
	start := time.Now()
	// Fiber's strings alias reused buffers: copy what outlives the request.
	method := strings.Clone(c.Method())
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		// The error handler has not run yet; predict its status.
		if fe, ok := err.(*fiber.Error); ok {
			status = fe.Code
		} else if ae, ok := err.(*APIError); ok {
			status = ae.Status
		} else {
			status = 500
		}
	}
	route := strings.Clone(c.Route().Path)
	if route == "" || route == "/" && c.Path() != "/" {
		route = "unmatched"
	}
	m.observe(method, route, status, time.Since(start).Seconds())
	return err
}

func (m *metrics) observe(method, route string, status int, secs float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[3]string{method, route, strconv.Itoa(status)}]++
	for i, b := range latencyBuckets {
		if secs <= b {
			m.buckets[i]++
		}
	}
	m.count++
	m.sum += secs
}

func (m *metrics) render(c *fiber.Ctx) error {
	var b strings.Builder
	m.mu.Lock()
	keys := make([][3]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.Join(keys[i][:], " ") < strings.Join(keys[j][:], " ") })
	b.WriteString("# HELP kiln_http_requests_total HTTP requests by method, route and status.\n# TYPE kiln_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "kiln_http_requests_total{method=%q,route=%q,status=%q} %d\n", k[0], k[1], k[2], m.requests[k])
	}
	b.WriteString("# HELP kiln_http_request_duration_seconds HTTP request latency.\n# TYPE kiln_http_request_duration_seconds histogram\n")
	for i, bound := range latencyBuckets {
		fmt.Fprintf(&b, "kiln_http_request_duration_seconds_bucket{le=%q} %d\n", strconv.FormatFloat(bound, 'g', -1, 64), m.buckets[i])
	}
	fmt.Fprintf(&b, "kiln_http_request_duration_seconds_bucket{le=\"+Inf\"} %d\n", m.count)
	fmt.Fprintf(&b, "kiln_http_request_duration_seconds_sum %g\nkiln_http_request_duration_seconds_count %d\n", m.sum, m.count)
	m.mu.Unlock()

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(&b, "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(&b, "# HELP go_memstats_heap_alloc_bytes Heap bytes allocated and in use.\n# TYPE go_memstats_heap_alloc_bytes gauge\ngo_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintf(&b, "# HELP go_gc_cycles_total Completed GC cycles.\n# TYPE go_gc_cycles_total counter\ngo_gc_cycles_total %d\n", ms.NumGC)
	fmt.Fprintf(&b, "# HELP kiln_uptime_seconds Seconds since the gateway started.\n# TYPE kiln_uptime_seconds gauge\nkiln_uptime_seconds %g\n", time.Since(m.started).Seconds())
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	return c.SendString(b.String())
}

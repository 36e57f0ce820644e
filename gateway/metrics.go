package gateway

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routeUnmatched labels requests no route matched, so probes of random paths
// cannot grow the label set without bound.
const routeUnmatched = "unmatched"

// metrics counts requests by method, route and status and keeps a latency
// histogram per route, next to the Go runtime and process collectors. Each
// App has its own registry, so several apps in one process (tests, or a
// future admin listener) never collide.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  fiber.Handler
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kiln_http_requests_total",
			Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kiln_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern, from the first middleware to the written status.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	m.registry.MustRegister(
		m.requests, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.handler = adaptor.HTTPHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	return m
}

// middleware observes every request that reaches the router. It runs the
// error handler itself so the recorded status is the one the client gets,
// including errors mapped from the domain layer and recovered panics.
func (m *metrics) middleware(handle fiber.ErrorHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if herr := handle(c, err); herr != nil {
				c.Status(fiber.StatusInternalServerError)
			}
		}
		// A request that ended in a middleware is labelled with that
		// middleware's prefix (e.g. a group's auth check), except the
		// app-wide ones, which every unmatched path passes through.
		r := c.Route()
		route := r.Path
		if route == "" || route == "/" && (r.Method == "USE" || c.Path() != "/") {
			route = routeUnmatched
		}
		// Fiber's strings alias buffers reused after the request: copy the labels.
		route = strings.Clone(route)
		m.requests.WithLabelValues(strings.Clone(c.Method()), route, strconv.Itoa(c.Response().StatusCode())).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return nil
	}
}

func (m *metrics) render(c *fiber.Ctx) error { return m.handler(c) }

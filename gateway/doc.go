// Package gateway is Kiln's HTTP front door, built on Fiber: the REST API
// under /v1 (Appwrite-compatible routes and error shapes), health and
// Prometheus metrics, request ids and body limits. It holds no state of its
// own; the domain layer does the work.
package gateway

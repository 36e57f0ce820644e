// Package client is a Go client for Kiln's REST API (Appwrite-compatible
// routes under /v1): functions, deployments (with chunked uploads and
// progress), executions and variables. The kiln CLI is built on it.
package client

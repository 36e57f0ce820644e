package bus

import "errors"

var (
	// ErrNotReady means the server did not accept connections in time.
	ErrNotReady = errors.New("nats server not ready")
	// ErrUnhealthy means the server, JetStream or the in-process connection does not work.
	ErrUnhealthy = errors.New("nats unhealthy")
	// ErrConfig means a Config field is missing or malformed.
	ErrConfig = errors.New("invalid bus config")
)

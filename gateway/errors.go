package gateway

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"
)

// Version is reported in error bodies and health; set by the binary.
var Version = "dev"

// APIError is the one error shape Kiln's API returns, Appwrite's:
// {"message": ..., "code": <http status>, "type": ..., "version": ...}.
type APIError struct {
	Status  int    `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message) }

// NewError makes an APIError.
func NewError(status int, typ, format string, args ...any) *APIError {
	return &APIError{Status: status, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Appwrite error types Kiln uses.
const (
	TypeGeneralUnknown         = "general_unknown"
	TypeGeneralNotFound        = "general_route_not_found"
	TypeGeneralArgument        = "general_argument_invalid"
	TypeGeneralMethod          = "general_not_implemented"
	TypeGeneralUnauthorized    = "general_unauthorized_scope"
	TypeGeneralRateLimit       = "general_rate_limit_exceeded"
	TypeGeneralServerError     = "general_server_error"
	TypeGeneralServiceDisabled = "general_service_disabled"
	TypePayloadTooLarge        = "storage_file_too_large"
)

// ErrorMapper turns a domain error into an APIError, or returns nil when it
// does not know the error. The domain layer registers one.
type ErrorMapper func(error) *APIError

// toAPIError maps any error to the API shape; unknown errors become a 500
// without internals.
func (a *App) toAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return NewError(fe.Code, TypeGeneralNotFound, "The requested route was not found.")
		case fiber.StatusMethodNotAllowed:
			return NewError(fe.Code, TypeGeneralMethod, "This method is not allowed on this route.")
		case fiber.StatusRequestEntityTooLarge:
			return NewError(fe.Code, TypePayloadTooLarge, "The request body is larger than the %d-byte limit.", a.cfg.BodyLimit)
		default:
			if fe.Code >= 500 {
				return NewError(fe.Code, TypeGeneralServerError, "Server error.")
			}
			return NewError(fe.Code, TypeGeneralArgument, "%s", fe.Message)
		}
	}
	for _, m := range a.mappers {
		if ae := m(err); ae != nil {
			return ae
		}
	}
	return NewError(fiber.StatusInternalServerError, TypeGeneralUnknown, "Server error.")
}

func (a *App) errorHandler(c *fiber.Ctx, err error) error {
	ae := a.toAPIError(err)
	if requestID(c) == "" {
		// Errors raised while reading the request (e.g. an oversize body)
		// never reached the middleware chain.
		setRequestID(c)
	}
	if ae.Status >= 500 {
		a.logger.Error("request failed", "method", c.Method(), "path", c.Path(), "request_id", requestID(c), "err", err)
	}
	return c.Status(ae.Status).JSON(fiber.Map{
		"message": ae.Message,
		"code":    ae.Status,
		"type":    ae.Type,
		"version": Version,
	})
}

// errPanic is what a recovered panic becomes: a 500 whose details stay in
// the log.
var errPanic = errors.New("handler panicked")

// recoverPanics turns a panic in a handler into errPanic, logging the value
// and stack for the operator; the client gets the plain 500 shape.
func (a *App) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			a.logger.Error("panic serving request", "method", c.Method(), "path", c.Path(),
				"request_id", requestID(c), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = errPanic
		}
	}()
	return c.Next()
}

package fuel

import "errors"

var (
	// ErrInvalidModule means the bytes are not a valid WebAssembly module.
	ErrInvalidModule = errors.New("invalid module")
	// ErrUnsupported means the module uses something the rewriter refuses
	// (a proposal it does not handle, a start section, an existing export
	// of the fuel global's name). The error text names it.
	ErrUnsupported = errors.New("unsupported")
)

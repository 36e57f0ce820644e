package kiln

// The reactor ABI (ABI.md). Kiln keeps the same values in its
// runtime/internal/wire package; a test there checks they agree, including
// the names in this package's go:wasmexport and go:wasmimport directives.
const (
	abiVersion = 1

	exportVersion   = "kiln_abi_version"
	exportBuffer    = "kiln_buffer"
	exportHandle    = "kiln_handle"
	hostModule      = "kiln"
	importLog       = "log"
	importFetch     = "fetch"
	importFetchRead = "fetch_read"

	levelDebug = 0
	levelInfo  = 1
	levelWarn  = 2
	levelError = 3

	fetchOK          = 0
	fetchDenied      = 1
	fetchFailed      = 2
	fetchBadRequest  = 3
	fetchTooLarge    = 4
	fetchUnavailable = 5

	flagTruncated = 1
	flagPanic     = 2
)

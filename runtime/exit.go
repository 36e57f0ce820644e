package runtime

import (
	"errors"

	"github.com/tetratelabs/wazero/sys"
)

// exitedZero reports a program that ended with proc_exit(0): a success.
func exitedZero(err error) bool {
	var exit *sys.ExitError
	return errors.As(err, &exit) && exit.ExitCode() == 0
}

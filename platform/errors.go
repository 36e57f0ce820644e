package platform

import "errors"

// ErrAdminKeyCorrupt means <data>/admin.key cannot be used.
var ErrAdminKeyCorrupt = errors.New("admin key file is corrupt or does not match the database")

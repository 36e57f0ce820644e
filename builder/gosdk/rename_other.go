//go:build !unix

package gosdk

func isNotEmpty(error) bool { return false }

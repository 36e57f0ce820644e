package testenv

import "runtime"

func runtimeGOROOT() string { return runtime.GOROOT() }

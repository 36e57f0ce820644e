module example.com/hello-go

go 1.24

require github.com/kilnhq/kiln/sdk/go v0.0.0

// Kiln's builder points this at the SDK it ships; the replace lets the
// example build inside the repository too.
replace github.com/kilnhq/kiln/sdk/go => ../../sdk/go

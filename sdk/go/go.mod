module github.com/kilnhq/kiln/sdk/go

go 1.24

package quickjs

// The engine is the npm package @jitl/quickjs-ng-wasmfile-release-sync
// (QuickJS-ng v0.12.1 built by quickjs-emscripten). Its import and export
// names are minified, so the ABI table in abi.go is only valid for these
// exact bytes: an upgrade changes every constant here and re-derives abi.go
// from dist/emscripten-module.cjs.
const (
	// EngineVersion is the pinned npm package version.
	EngineVersion = "0.32.0"
	// EngineSHA256 is the hex SHA-256 of dist/emscripten-module.wasm.
	EngineSHA256 = "b56fe5094b8751c47b8c32fb5ed4d75afe2dbb43412d3d983ac5d1156af456da"
	// EngineSize is the size in bytes of dist/emscripten-module.wasm.
	EngineSize = 528551

	enginePackage = "@jitl/quickjs-ng-wasmfile-release-sync"
	// engineTarballURL is where the registry serves the package tarball.
	engineTarballURL = "https://registry.npmjs.org/@jitl/quickjs-ng-wasmfile-release-sync/-/quickjs-ng-wasmfile-release-sync-0.32.0.tgz"
	// engineMetadataURL is the registry's version document, whose
	// dist.integrity must equal engineTarballIntegrity.
	engineMetadataURL = "https://registry.npmjs.org/@jitl%2fquickjs-ng-wasmfile-release-sync/0.32.0"
	// engineTarballSHA256 is the hex SHA-256 of the npm tarball.
	engineTarballSHA256 = "feb879d9c539f03717afe939d798defc40632642e91eccccbcabe54fafbe0025"
	// engineTarballIntegrity is the registry's subresource-integrity string
	// for the tarball.
	engineTarballIntegrity = "sha512-XAX2jjZWWh3M0YaRqi82xMKNW/gkF6mo3MpW3UY2cmVxnQai1JuboVsJQVoLU629iEL4XWvHtO4h5lo7NRnAcg=="

	// EngineWasmEnv names the environment variable that points at a local
	// copy of the engine wasm (it must still match EngineSHA256).
	EngineWasmEnv = "KILN_QUICKJS_WASM"
)

// Package platform is Kiln's domain layer: projects, API keys and scopes,
// and (as the modules arrive) functions, deployments and executions. It holds
// the rules and wires them to store, runtime and builder; the gateway only
// translates HTTP to calls here.
package platform

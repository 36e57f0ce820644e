// Package fuel makes a WebAssembly module count the instructions it
// executes, so an invocation can be given an exact budget and billed by
// what it used.
//
// Instrument adds one exported mutable i64 global, GlobalName, and
// rewrites every function body. Each straight-line run of instructions
// (a segment: code between control-flow boundaries and calls) first
// subtracts its instruction count from the global; function entries and loop headers
// then trap with unreachable if the global went negative, so runaway code
// stops. Bulk memory and table operations, memory.grow and table.grow are
// charged by the amount of work they do (see the cost constants).
//
// The host contract: set the global to the budget before a call and read
// it after. Fuel used is budget minus remaining. A remaining value below
// zero means the budget ran out: either the guest trapped at a check, or it
// ran past its last check and finished; both are out of fuel.
//
// Fuel counts every executed instruction once, including block, loop, if,
// else and end, with these conventions: a branch out of a block skips its
// end; the then-arm of an if executes its else (the jump over the
// else-arm), the else-arm its end. Segments end at calls, so a callee that
// never returns (exit, trap, out of fuel) leaves nothing charged that did
// not run. Only an instruction that itself traps mid-segment (division by
// zero, out-of-bounds access) leaves the rest of its segment charged.
//
// Modules with a start section are refused: start functions run while
// the module is instantiated, before the host can set a budget. Toolchains
// export _start or _initialize instead, which the host calls with fuel.
package fuel

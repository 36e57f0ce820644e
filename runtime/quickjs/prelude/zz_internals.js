// What Go calls (base.go's internalNames, in the same order).

function describe(e) {
  try {
    if (e !== null && typeof e === "object" && ("stack" in e || e instanceof Error)) {
      return jsonStringify({ name: String(e.name ?? ""), message: String(e.message ?? ""), stack: String(e.stack ?? "") });
    }
    return jsonStringify({ name: "", message: inspect(e), stack: "" });
  } catch {
    return jsonStringify({ name: "", message: "an exception that cannot be printed", stack: "" });
  }
}

return { describe, setup, setHandler, dispatch, waitUntil, runTimer, fetchSettle };

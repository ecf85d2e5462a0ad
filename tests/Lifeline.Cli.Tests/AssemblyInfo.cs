using Lifeline.Testing.Leaks;
using Lifeline.Testing.Xunit;

// Every test in this assembly runs under Lifeline's leak verifier (docs/leaks.md).
// Microsoft.Data.Sqlite starts one process-wide prune timer with its connection factory the first time any
// connection opens, even with Pooling=False (the hub's setting): a lazily started singleton, not a leak of the
// test that happens to open the first SQLite store.
// OpenTelemetry's SDK (lifeline serve --prometheus, run in-process by ServeTests) starts its self-diagnostics config
// refresh timer once per process, from a static, the first time an SDK provider is built: likewise a process-wide
// singleton, not the leak of the test that happens to build the first provider.
[assembly: VerifyNoLeaks(IgnoreTopFunctions = [KnownSingletons.SqlitePoolPruneTimer, "OpenTelemetry.Internal.SelfDiagnosticsLegacyConfigSource.*", "SelfDiagnosticsLegacyConfigSource.*"])]

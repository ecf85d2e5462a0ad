using Lifeline.Testing.Leaks;
using Lifeline.Testing.Xunit;

// Every test in this assembly runs under Lifeline's leak verifier (docs/leaks.md).
// Microsoft.Data.Sqlite starts one process-wide pool-prune timer when its connection factory singleton is first used,
// whatever the connection string says (Pooling=False connections, which the hub uses, still go through the factory).
// It is the documented "lazily started process-wide singleton" case, so it is ignored by name and nothing else is.
[assembly: VerifyNoLeaks(IgnoreTopFunctions = [KnownSingletons.SqlitePoolPruneTimer])]

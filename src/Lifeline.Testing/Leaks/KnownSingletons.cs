namespace Lifeline.Testing.Leaks;

/// <summary>
/// Names of process-wide background operations that well-known libraries start lazily, once, and never stop, for
/// <c>[assembly: VerifyNoLeaks(IgnoreTopFunctions = ...)]</c> and <see cref="LeakOptions"/> (docs/leaks.md,
/// "Ignoring"). Each is one singleton per process, not something a test can leak, so ignoring it hides nothing.
/// </summary>
public static class KnownSingletons
{
    /// <summary>
    /// Microsoft.Data.Sqlite's connection-pool prune timer: started the first time its connection factory is used,
    /// whatever the connection string says (<c>Pooling=False</c> connections go through the factory too).
    /// </summary>
    public const string SqlitePoolPruneTimer = "Microsoft.Data.Sqlite.SqliteConnectionFactory.PruneCallback";
}

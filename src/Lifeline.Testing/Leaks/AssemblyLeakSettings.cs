namespace Lifeline.Testing.Leaks;

/// <summary>
/// The settings of an assembly's <c>[assembly: VerifyNoLeaks]</c>, whichever test framework's attribute carried them
/// (xunit 2's or xunit.v3's): the defaults every test starts from, and what the end-of-run check ignores.
/// </summary>
internal sealed record AssemblyLeakSettings
{
    /// <summary>The retry window of each check.</summary>
    public TimeSpan Timeout { get; init; } = LeakOptions.Default.Timeout;

    /// <summary>Whether live timers count.</summary>
    public bool IncludeTimers { get; init; } = true;

    /// <summary>Outermost methods never counted in this assembly.</summary>
    public IReadOnlyList<string> IgnoreTopFunctions { get; init; } = [];

    /// <summary>Methods that, anywhere in an await chain, make it not count in this assembly.</summary>
    public IReadOnlyList<string> IgnoreAnyFunctions { get; init; } = [];

    /// <summary>Whether the end-of-run check runs after the last test.</summary>
    public bool VerifyAtEndOfRun { get; init; } = true;

    /// <summary>The options of a test that neither its class nor its method overrides.</summary>
    public LeakOptions ToOptions() => new()
    {
        Timeout = Timeout,
        IncludeTimers = IncludeTimers,
        IgnoreTopFunctions = IgnoreTopFunctions,
        IgnoreAnyFunctions = IgnoreAnyFunctions,
    };
}

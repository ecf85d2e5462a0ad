namespace Lifeline.Testing.Leaks;

/// <summary>
/// The options of <c>[assembly: VerifyNoLeaks]</c>, shared by the xunit 2 attribute (Lifeline.Testing.Xunit) and the
/// xunit.v3 one (Lifeline.Testing.XunitV3), which differ only in how they hook their framework. Not used on its own.
/// </summary>
public abstract class VerifyNoLeaksBaseAttribute : Attribute
{
    /// <summary>How long a check waits for work that stands still before it reports a leak (see docs/leaks.md).</summary>
    /// <value>Milliseconds; default 500.</value>
    public int TimeoutMilliseconds { get; set; } = 500;

    /// <summary>Whether live <see cref="System.Threading.Timer"/>s count as leaks, in every test and at the end of the run.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool IncludeTimers { get; set; } = true;

    /// <summary>
    /// Outermost async methods (or timer callbacks) that are never leaks anywhere in the assembly: process-wide
    /// singletons that start lazily and live for the process. Same forms as <see cref="LeakCheckAttribute.IgnoreTopFunctions"/>.
    /// </summary>
    /// <value>Default empty.</value>
    public string[] IgnoreTopFunctions { get; set; } = [];

    /// <summary>Operations with any frame of their await chain matching one of these are never leaks in the assembly.</summary>
    /// <value>Default empty. Same forms as <see cref="IgnoreTopFunctions"/>.</value>
    public string[] IgnoreAnyFunctions { get; set; } = [];

    /// <summary>Whether to check, after the last test, for work that no test can be blamed for.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool VerifyAtEndOfRun { get; set; } = true;

    /// <summary>The run's settings: the defaults every test starts from, and what the end-of-run check ignores.</summary>
    internal AssemblyLeakSettings ToSettings() => new()
    {
        Timeout = TimeSpan.FromMilliseconds(TimeoutMilliseconds),
        IncludeTimers = IncludeTimers,
        IgnoreTopFunctions = IgnoreTopFunctions,
        IgnoreAnyFunctions = IgnoreAnyFunctions,
        VerifyAtEndOfRun = VerifyAtEndOfRun,
    };
}

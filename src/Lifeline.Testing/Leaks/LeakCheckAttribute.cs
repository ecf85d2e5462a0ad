namespace Lifeline.Testing.Leaks;

/// <summary>
/// Leak-check options for one test class or test method, overriding the assembly's <c>[assembly: VerifyNoLeaks]</c>
/// (every test-framework integration reads it: xunit 2, xunit.v3).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class LeakCheckAttribute : Attribute
{
    /// <summary>Set to <see langword="false"/> to skip the check for this class or method.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a check waits for work that is already ending, in milliseconds; 0 keeps the assembly's value.</summary>
    public int TimeoutMilliseconds { get; set; }

    /// <summary>Pending operations whose outermost async method (the top of the await chain) matches one of these are ignored.</summary>
    /// <value>Each entry is <c>Type.Method</c>, a full type name plus method, or a prefix ending in <c>*</c>.</value>
    public string[] IgnoreTopFunctions { get; set; } = [];

    /// <summary>Whether live timers count for this class or method.</summary>
    /// <value>Default <see cref="TimerCheck.Inherit"/>: the enclosing class's, or the assembly's <c>IncludeTimers</c>.</value>
    public TimerCheck Timers { get; set; } = TimerCheck.Inherit;

    /// <summary>Pending operations with any frame of their await chain matching one of these are ignored.</summary>
    /// <value>Same forms as <see cref="IgnoreTopFunctions"/>.</value>
    public string[] IgnoreAnyFunctions { get; set; } = [];
}

/// <summary>Whether a class or method's leak check counts live timers.</summary>
public enum TimerCheck
{
    /// <summary>Use the enclosing class's or the assembly's setting.</summary>
    Inherit,

    /// <summary>Live timers are leaks.</summary>
    Include,

    /// <summary>Live timers are not checked.</summary>
    Exclude,
}

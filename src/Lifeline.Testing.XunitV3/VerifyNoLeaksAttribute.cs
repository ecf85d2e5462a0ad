using Lifeline.Testing.Leaks;
using Xunit.v3;

namespace Lifeline.Testing.Xunit;

/// <summary>
/// Put on an xunit.v3 test assembly (<c>[assembly: VerifyNoLeaks]</c>) to check after every test that it left no
/// async method, <c>Task.Run</c> delegate, timer or socket operation running, and to fail that test, naming
/// what it left, when it did. Attribution is per test even while xunit runs tests in parallel.
/// </summary>
/// <remarks>
/// This is the xunit.v3 attribute (package Lifeline.Testing.XunitV3); xunit 2 has its own (Lifeline.Testing.Xunit),
/// and the package's build targets fail the build of a project that references xunit 2. It is an xunit
/// test-framework attribute: an assembly may carry only one. Options for a class or a method come from
/// <see cref="LeakCheckAttribute"/>. See <c>docs/leaks.md</c>.
/// </remarks>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class VerifyNoLeaksAttribute : Attribute, ITestFrameworkAttribute
{
    /// <inheritdoc />
    public Type FrameworkType => typeof(LeakCheckingTestFramework);

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

    internal AssemblyLeakSettings ToSettings() => new()
    {
        Timeout = TimeSpan.FromMilliseconds(TimeoutMilliseconds),
        IncludeTimers = IncludeTimers,
        IgnoreTopFunctions = IgnoreTopFunctions,
        IgnoreAnyFunctions = IgnoreAnyFunctions,
        VerifyAtEndOfRun = VerifyAtEndOfRun,
    };
}

using System.Reflection;
using Lifeline.Testing.Leaks;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Lifeline.Testing.Xunit;

/// <summary>
/// The leak-check settings and shared state of one test assembly's run: the assembly's options, and whether
/// "unsupported runtime" has been said yet (it is said once, not once per test). Thread-safe.
/// </summary>
internal sealed class LeakCheckSession
{
    private int _unsupportedReported;

    public LeakCheckSession(VerifyNoLeaksAttribute? assemblySettings, IMessageSink diagnostics)
    {
        AssemblySettings = assemblySettings ?? new VerifyNoLeaksAttribute();
        Diagnostics = diagnostics;
    }

    public VerifyNoLeaksAttribute AssemblySettings { get; }

    public IMessageSink Diagnostics { get; }

    public static LeakCheckSession For(ITestAssembly testAssembly, IMessageSink diagnostics)
    {
        var assembly = (testAssembly.Assembly as IReflectionAssemblyInfo)?.Assembly;
        return new LeakCheckSession(assembly?.GetCustomAttribute<VerifyNoLeaksAttribute>(), diagnostics);
    }

    /// <summary>The options for one test method, or null when its class or method turns the check off.</summary>
    public LeakOptions? OptionsFor(Type? testClass, MethodInfo? testMethod)
    {
        var onClass = testClass?.GetCustomAttribute<LeakCheckAttribute>();
        var onMethod = testMethod?.GetCustomAttribute<LeakCheckAttribute>();
        if (onClass is { Enabled: false } || onMethod is { Enabled: false })
        {
            return null;
        }

        var timeout = onMethod?.TimeoutMilliseconds > 0 ? onMethod.TimeoutMilliseconds
            : onClass?.TimeoutMilliseconds > 0 ? onClass.TimeoutMilliseconds
            : AssemblySettings.TimeoutMilliseconds;
        var timers = onMethod?.Timers is { } m and not TimerCheck.Inherit ? m
            : onClass?.Timers is { } c and not TimerCheck.Inherit ? c
            : AssemblySettings.IncludeTimers ? TimerCheck.Include : TimerCheck.Exclude;
        return new LeakOptions
        {
            Timeout = TimeSpan.FromMilliseconds(timeout),
            IncludeTimers = timers == TimerCheck.Include,
            IgnoreTopFunctions = [.. AssemblySettings.IgnoreTopFunctions, .. onClass?.IgnoreTopFunctions ?? [], .. onMethod?.IgnoreTopFunctions ?? []],
            IgnoreAnyFunctions = [.. onClass?.IgnoreAnyFunctions ?? [], .. onMethod?.IgnoreAnyFunctions ?? []],
        };
    }

    /// <summary>Returns the unsupported-runtime exception the first time it is asked, null after that.</summary>
    public Exception? TakeUnsupportedFailure(string reason)
    {
        if (Interlocked.Exchange(ref _unsupportedReported, 1) != 0)
        {
            return null;
        }

        Diagnostics.OnMessage(new DiagnosticMessage($"Lifeline leak verifier: {reason}. Leak checks are off for this run."));
        return new LeakException($"{reason}. Leak checks are off for the rest of this run; this test is failed once so the run does not pass silently.");
    }
}

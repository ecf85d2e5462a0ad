using System.Reflection;

namespace Lifeline.Testing.Leaks;

/// <summary>
/// One test assembly's run under the leak verifier, whatever the test framework: the options of each test (assembly,
/// then class, then method), the check after each test, and the end-of-run check. The xunit 2 and xunit.v3
/// integrations each drive one; they differ only in how they hook their framework's pipeline.
/// </summary>
/// <remarks>
/// Every test runs in its own <see cref="LeakScope"/>, checked or not: a test whose check is off still owns its work,
/// so the end-of-run check knows that work was opted out and does not report it (it reports only what no test can
/// be blamed for). Thread-safe: tests run in parallel.
/// </remarks>
internal sealed class LeakCheckRun
{
    private readonly Action<string> _diagnostic;
    private int _unsupportedReported;

    public LeakCheckRun(AssemblyLeakSettings settings, Action<string> diagnostic)
        : this(settings, diagnostic, LeakSwitch.IsOff, LeakSwitch.WriteOnceToStandardError)
    {
    }

    /// <summary>
    /// A run with the off switch given (<see cref="LeakSwitch.IsOff"/> in a real run). Off, the run says so at once, to the
    /// framework's diagnostics and to <paramref name="console"/> (standard error, once per process, in a real run): a run
    /// that checks nothing is never silent.
    /// </summary>
    internal LeakCheckRun(AssemblyLeakSettings settings, Action<string> diagnostic, bool off, Action<string> console)
    {
        Settings = settings;
        _diagnostic = diagnostic;
        IsOff = off;
        if (off)
        {
            diagnostic(LeakSwitch.OffMessage);
            console(LeakSwitch.OffMessage);
        }
    }

    public AssemblyLeakSettings Settings { get; }

    /// <summary>Whether this run checks nothing (<c>LIFELINE_LEAKS=off</c>): tests run as they would without the verifier, with no scope and no check.</summary>
    public bool IsOff { get; }

    /// <summary>The options for one test, or null when its class or method turns the check off.</summary>
    public LeakOptions? OptionsFor(Type? testClass, MethodInfo? testMethod)
    {
        var onClass = testClass?.GetCustomAttribute<LeakCheckAttribute>();
        var onMethod = testMethod?.GetCustomAttribute<LeakCheckAttribute>();
        if (onClass is { Enabled: false } || onMethod is { Enabled: false })
        {
            return null;
        }

        var timeout = onMethod?.TimeoutMilliseconds > 0 ? TimeSpan.FromMilliseconds(onMethod.TimeoutMilliseconds)
            : onClass?.TimeoutMilliseconds > 0 ? TimeSpan.FromMilliseconds(onClass.TimeoutMilliseconds)
            : Settings.Timeout;
        var timers = onMethod?.Timers is { } m and not TimerCheck.Inherit ? m
            : onClass?.Timers is { } c and not TimerCheck.Inherit ? c
            : Settings.IncludeTimers ? TimerCheck.Include : TimerCheck.Exclude;
        return new LeakOptions
        {
            Timeout = timeout,
            IncludeTimers = timers == TimerCheck.Include,
            IgnoreTopFunctions = [.. Settings.IgnoreTopFunctions, .. onClass?.IgnoreTopFunctions ?? [], .. onMethod?.IgnoreTopFunctions ?? []],
            IgnoreAnyFunctions = [.. Settings.IgnoreAnyFunctions, .. onClass?.IgnoreAnyFunctions ?? [], .. onMethod?.IgnoreAnyFunctions ?? []],
        };
    }

    /// <summary>
    /// Runs one whole test (<paramref name="body"/>: construction to disposal) in its own scope, nested under the
    /// current one, then checks it; a leak, or the unsupported-runtime failure the first time, goes to <paramref name="fail"/>.
    /// </summary>
    public async Task<T> RunTestAsync<T>(string name, Type? testClass, MethodInfo? testMethod, Func<Task<T>> body, Action<Exception> fail)
    {
        if (IsOff)
        {
            return await body().ConfigureAwait(false);
        }

        var options = OptionsFor(testClass, testMethod);
        var scope = LeakVerifier.CreateScope(name, options ?? Settings.ToOptions(), LeakScope.Current);
        if (options is null)
        {
            scope.OptOut();
        }

        // Started under the scope; this method resumes outside it, so it is never its own finding.
        var result = await scope.RunAsync(body).ConfigureAwait(false);
        if (options is null)
        {
            return result;
        }

        var report = await scope.VerifyAsync().ConfigureAwait(false);
        if (report.UnsupportedReason is { } reason)
        {
            if (TakeUnsupportedFailure(reason) is { } failure)
            {
                fail(failure);
            }
        }
        else if (report.HasLeaks)
        {
            fail(new LeakException(report));
        }

        return result;
    }

    /// <summary>Says "unsupported runtime" once per run: the failure of the first checked test, null after that.</summary>
    internal LeakException? TakeUnsupportedFailure(string reason)
    {
        if (Interlocked.Exchange(ref _unsupportedReported, 1) != 0)
        {
            return null;
        }

        _diagnostic($"Lifeline leak verifier: {reason}. Leak checks are off for this run.");
        return new LeakException($"{reason}. Leak checks are off for the rest of this run; this test is failed once so the run does not pass silently.");
    }

    /// <summary>
    /// After the last test: what is still running that no test can be blamed for, or null when nothing is (or the
    /// check is off). Work a test was already failed for, and work a test's options exclude, are not reported again.
    /// </summary>
    public async Task<LeakReport?> VerifyEndOfRunAsync(string assemblyName)
    {
        if (IsOff || !Settings.VerifyAtEndOfRun || !LeakVerifier.IsSupported)
        {
            return null;
        }

        var report = await LeakVerifier.VerifyEndOfRunAsync($"the test run of {assemblyName} (end-of-run check)", Settings.ToOptions()).ConfigureAwait(false);
        return report.HasLeaks ? report : null;
    }
}

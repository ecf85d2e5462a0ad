using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Lifeline.Testing.Leaks;

/// <summary>
/// Finds asynchronous work that outlived the code that started it: async methods still suspended, Task.Run
/// delegates still running, timers still armed. Like Go's goleak, but each finding names the scope (test)
/// whose execution context started it, so it stays correct while tests run in parallel.
/// </summary>
/// <remarks>
/// It reads the runtime's debugger-facing registry of active tasks, which this assembly turns on when it loads
/// (a module initializer); work started before that stays invisible. See <c>docs/leaks.md</c> for what it can
/// and cannot see. Thread-safe.
/// </remarks>
public static class LeakVerifier
{
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan s_maxRetry = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_collectAfter = TimeSpan.FromMilliseconds(20);

    /// <summary>Whether this runtime exposes what the verifier reads. When false, see <see cref="UnsupportedReason"/>.</summary>
    public static bool IsSupported => RuntimeInternals.IsSupported;

    /// <summary>Why the runtime is unsupported ("unsupported runtime: ..." naming each missing member); empty when supported.</summary>
    public static string UnsupportedReason => RuntimeInternals.UnsupportedReason;

    /// <summary>Turns tracking on. Called when this assembly loads; call it earlier (a module initializer of your own) to see work started sooner.</summary>
    /// <returns>Whether tracking is on.</returns>
    public static bool Enable() => RuntimeInternals.EnableTaskTracking();

    /// <summary>
    /// Begins a scope and makes it current for the rest of the calling method and everything it starts.
    /// <c>await using var scope = LeakVerifier.BeginScope();</c> verifies when the method leaves the block.
    /// </summary>
    /// <param name="name">The scope's name in reports; defaults to the calling member's name.</param>
    /// <param name="options">What to check; defaults to <see cref="LeakOptions.Default"/>.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    public static LeakScope BeginScope(string? name = null, LeakOptions? options = null, [CallerMemberName] string caller = "")
    {
        Enable();
        var previous = LeakScope.Current;
        var scope = new LeakScope(name ?? caller, options ?? LeakOptions.Default, previous, previous);
        _ = scope.Enter();
        return scope;
    }

    /// <summary>Creates a scope without making it current; start work in it with <see cref="LeakScope.RunAsync(Func{Task})"/> or <see cref="LeakScope.Enter"/>.</summary>
    public static LeakScope CreateScope(string name, LeakOptions? options = null, LeakScope? parent = null)
    {
        Enable();
        return new LeakScope(name, options ?? LeakOptions.Default, parent, LeakScope.Current);
    }

    /// <summary>
    /// Everything pending in the process right now that the built-in ignores and <paramref name="options"/> do not
    /// exclude, attributed or not: the end-of-run check (goleak's VerifyTestMain), after a bounded wait.
    /// </summary>
    public static Task<LeakReport> VerifyAllAsync(string name, LeakOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= LeakOptions.Default;
        options.Validate();
        return PollAsync(name, static _ => true, null, options, cancellationToken);
    }

    internal static IReadOnlyList<PendingOperation> FindPending(LeakScope scope, IReadOnlySet<object>? baseline, LeakOptions options) =>
        RuntimeInternals.IsSupported ? PendingOperationScanner.Scan(scope.Owns, options, baseline) : [];

    internal static Task<LeakReport> VerifyAsync(LeakScope scope, IReadOnlySet<object>? baseline, LeakOptions options, CancellationToken cancellationToken) =>
        PollAsync(scope.Name, scope.Owns, baseline, options, cancellationToken);

    private static async Task<LeakReport> PollAsync(string name, Func<LeakScope?, bool> owned, IReadOnlySet<object>? baseline, LeakOptions options, CancellationToken cancellationToken)
    {
        if (!RuntimeInternals.IsSupported)
        {
            return new LeakReport(name, [], RuntimeInternals.UnsupportedReason);
        }

        var started = Stopwatch.GetTimestamp();
        var delay = s_firstRetry;
        var collected = false;
        while (true)
        {
            var pending = PendingOperationScanner.Scan(owned, options, baseline);
            if (pending.Count == 0)
            {
                return new LeakReport(name, pending);
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed >= options.Timeout)
            {
                if (collected)
                {
                    return new LeakReport(name, pending);
                }

                // Last chance: what nobody references any more (a dropped Timer, an undisposed socket) is finalized, not leaked.
                ForceFullCollection();
                collected = true;
                continue;
            }

            if (!collected && elapsed >= s_collectAfter)
            {
                ForceFullCollection();
                collected = true;
                continue;
            }

            // Real time by design: this waits for real work in the process to finish, not for a test's clock.
            var wait = TimeSpan.FromTicks(Math.Min(delay.Ticks, (options.Timeout - elapsed).Ticks));
            await Task.Delay(wait, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxRetry.Ticks));
        }
    }

    private static void ForceFullCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}

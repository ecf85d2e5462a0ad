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

    /// <summary>How many timeouts a check waits at most for work that keeps making progress.</summary>
    internal const int MaxWaitFactor = 10;

    /// <summary>Whether this runtime exposes what the verifier reads. When false, see <see cref="UnsupportedReason"/>.</summary>
    public static bool IsSupported => RuntimeInternals.IsSupported;

    /// <summary>Why the runtime is unsupported ("unsupported runtime: ..." naming each missing member); empty when supported.</summary>
    public static string UnsupportedReason => RuntimeInternals.UnsupportedReason;

    /// <summary>
    /// Whether the verifier is off for this process: the environment variable <c>LIFELINE_LEAKS=off</c> (or <c>0</c>,
    /// <c>false</c>) was set when it started. Then the runtime's task registry stays off, every check is clean without
    /// looking, and the first scope or test run says so once on standard error (see docs/leaks.md, "Cost").
    /// </summary>
    public static bool IsOff => LeakSwitch.IsOff;

    /// <summary>Turns tracking on (unless <see cref="IsOff"/>). Called when this assembly loads; call it earlier (a module initializer of your own) to see work started sooner.</summary>
    /// <returns>Whether tracking is on.</returns>
    public static bool Enable() => !LeakSwitch.IsOff && RuntimeInternals.EnableTaskTracking();

    /// <summary>
    /// Begins a scope and makes it current for the rest of the calling method and everything it starts.
    /// <c>await using var scope = LeakVerifier.BeginScope();</c> verifies when the method leaves the block.
    /// </summary>
    /// <param name="name">The scope's name in reports; defaults to the calling member's name.</param>
    /// <param name="options">What to check; defaults to <see cref="LeakOptions.Default"/>.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    public static LeakScope BeginScope(string? name = null, LeakOptions? options = null, [CallerMemberName] string caller = "")
    {
        EnableOrAnnounceOff();
        var previous = LeakScope.Current;
        var scope = new LeakScope(name ?? caller, options ?? LeakOptions.Default, previous, previous);
        _ = scope.Enter();
        return scope;
    }

    /// <summary>Creates a scope without making it current; start work in it with <see cref="LeakScope.RunAsync(Func{Task})"/> or <see cref="LeakScope.Enter"/>.</summary>
    public static LeakScope CreateScope(string name, LeakOptions? options = null, LeakScope? parent = null)
    {
        EnableOrAnnounceOff();
        return new LeakScope(name, options ?? LeakOptions.Default, parent, LeakScope.Current);
    }

    /// <summary>
    /// Everything pending in the process right now that the built-in ignores and <paramref name="options"/> do not
    /// exclude, attributed or not, after a bounded wait. With <see cref="LeakOptions.IgnoreCurrent"/>, what was
    /// pending when <paramref name="options"/> were created is not reported (goleak's <c>IgnoreCurrent</c>).
    /// </summary>
    public static Task<LeakReport> VerifyAllAsync(string name, LeakOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= LeakOptions.Default;
        options.Validate();
        return PollAsync(name, () => PendingOperationScanner.Scan(static _ => true, options, options.Baseline), options, cancellationToken);
    }

    /// <summary>
    /// The end-of-run check of a test run (goleak's VerifyTestMain): like <see cref="VerifyAllAsync"/>, but what a
    /// scope's check already reported, what a scope's own options exclude, and the work of a scope whose check is
    /// off are not reported again: only what no test can be blamed for, or what a test started after its check.
    /// </summary>
    internal static Task<LeakReport> VerifyEndOfRunAsync(string name, LeakOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        return PollAsync(name, () => Unblamed(PendingOperationScanner.Scan(static _ => true, options, options.Baseline, applyIgnores: false), options), options, cancellationToken);
    }

    internal static IReadOnlyList<PendingOperation> FindPending(LeakScope scope, IReadOnlySet<object>? baseline, LeakOptions options) =>
        RuntimeInternals.IsSupported && !LeakSwitch.IsOff ? PendingOperationScanner.Scan(scope.Owns, options, baseline, afterTaskId: scope.StartMark) : [];

    internal static async Task<LeakReport> VerifyAsync(LeakScope scope, IReadOnlySet<object>? baseline, LeakOptions options, CancellationToken cancellationToken)
    {
        // Work that begins under this scope's context after this point was not started by its body (LateWork).
        scope.MarkBodyEnded();
        var report = await PollAsync(scope.Name, () => LateWork.RemoveOrphans(PendingOperationScanner.Scan(scope.Owns, options, baseline, afterTaskId: scope.StartMark)), options, cancellationToken).ConfigureAwait(false);
        scope.MarkReported(report.Operations);
        return report;
    }

    /// <summary>
    /// Drops what a scope already answers for (reported by its check, excluded by its options, or opted out) and what
    /// the run's options ignore; an orphan that began after its scope's body ended is kept, saying who may have posted it.
    /// </summary>
    private static List<PendingOperation> Unblamed(List<PendingOperation> all, LeakOptions options)
    {
        var pending = LateWork.DescribeOrphans(all);
        pending.RemoveAll(op => FunctionPattern.IsIgnored(op, options));
        pending.RemoveAll(static op =>
        {
            if (op.Note is not null)
            {
                return false;
            }

            for (var scope = op.Scope; scope is not null; scope = scope.Parent)
            {
                if (scope.IsOptedOut || scope.WasReported(op.Source) || FunctionPattern.IsIgnored(op, scope.Options)
                    || (op.Kind == PendingOperationKind.Timer && !scope.Options.IncludeTimers))
                {
                    return true;
                }
            }

            return false;
        });
        return pending;
    }

    /// <summary>
    /// Scans until nothing is pending, or until what is pending stops making progress. Progress is any change in
    /// the pending set: an operation ended or began, or one now awaits something else (the next iteration of a loop
    /// that is ending). Work that keeps progressing, however slowly a starved thread pool runs it, is waited for up
    /// to <see cref="MaxWaitFactor"/> times the timeout; so is work that stands still while the thread pool has queued
    /// work items (its next step may be one of them). Work that stands still for a whole timeout, with the pool
    /// keeping up, is reported.
    /// </summary>
    private static async Task<LeakReport> PollAsync(string name, Func<List<PendingOperation>> scan, LeakOptions options, CancellationToken cancellationToken)
    {
        if (LeakSwitch.IsOff)
        {
            // Said once on standard error when the first scope began; nothing was tracked, so there is nothing to look at.
            return new LeakReport(name, []);
        }

        if (!RuntimeInternals.IsSupported)
        {
            return new LeakReport(name, [], RuntimeInternals.UnsupportedReason);
        }

        var started = Stopwatch.GetTimestamp();
        var lastProgress = started;
        var maxWait = options.Timeout * MaxWaitFactor;
        HashSet<(object, object?)>? previous = null;
        var delay = s_firstRetry;
        var collected = false;
        var yielded = false;
        while (true)
        {
            var scanStarted = Stopwatch.GetTimestamp();
            var pending = scan();
            LeakCheckStats.Scanned(scanStarted);
            if (pending.Count == 0)
            {
                LeakCheckStats.CheckEnded(started, cleanAtFirstScan: !yielded);
                return new LeakReport(name, pending);
            }

            if (!yielded)
            {
                // Never report from the synchronous start: the method that called us (a test ending its scope with
                // await using) is still running on this stack under the scope's context, and only stops being
                // pending once it suspends, outside the scope, at its await of this check.
                await Task.Yield();
                yielded = true;
                continue;
            }

            var now = Stopwatch.GetTimestamp();
            var state = pending.Select(static op => (op.Source, op.Awaited)).ToHashSet();
            if (previous is null || !state.SetEquals(previous))
            {
                // The first observation counts from when it was made, not from when the (possibly slow) scan began.
                lastProgress = now;
            }

            previous = state;
            var elapsed = Stopwatch.GetElapsedTime(started, now);
            var still = Stopwatch.GetElapsedTime(lastProgress, now);

            // Standing still while the thread pool has a queue is not proof: the work's next step may be waiting in it.
            var starved = ThreadPool.PendingWorkItemCount > 0;
            if ((elapsed >= options.Timeout && still >= options.Timeout && !starved) || elapsed >= maxWait)
            {
                if (collected)
                {
                    LeakCheckStats.CheckEnded(started, cleanAtFirstScan: false);
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
            await Task.Delay(delay, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxRetry.Ticks));
        }
    }

    private static void EnableOrAnnounceOff()
    {
        if (LeakSwitch.IsOff)
        {
            LeakSwitch.WriteOnceToStandardError(LeakSwitch.OffMessage);
        }
        else
        {
            Enable();
        }
    }

    private static void ForceFullCollection()
    {
        LeakCheckStats.Collected();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}

namespace Lifeline.Testing.Leaks;

/// <summary>
/// A region of code, usually one test, whose asynchronous work must all have ended when it ends. Every async
/// method, Task.Run delegate and timer started while the scope is current (through the execution context,
/// across awaits and thread hops) is attributed to it, so scopes running in parallel each see only their own work.
/// </summary>
/// <remarks>
/// Begin one with <see cref="LeakVerifier.BeginScope"/> (<c>await using var scope = LeakVerifier.BeginScope();</c>):
/// disposing it verifies and throws <see cref="LeakException"/> naming what is still running. Scopes nest: work of
/// an inner scope also counts against the outer one. Thread-safe.
/// </remarks>
public sealed class LeakScope : IAsyncDisposable
{
    private static readonly AsyncLocal<LeakScope?> s_current = new();

    // Every scope begun lately, for naming the tests that ran when an orphan began (see LateWork). Bounded.
    private const int RecentScopesKept = 50_000;
    private static readonly System.Collections.Concurrent.ConcurrentQueue<LeakScope> s_recent = new();

    private readonly LeakScope? _previous;
    private readonly IReadOnlySet<object>? _baseline;

    // Written by this scope's checks, read by the end-of-run check: what a check already failed this scope for.
    private readonly HashSet<object> _reported = new(ReferenceEqualityComparer.Instance);
    private int _disposed;
    private volatile bool _optedOut;

    internal LeakScope(string name, LeakOptions options, LeakScope? parent, LeakScope? previous)
    {
        options.Validate();
        Name = name;
        Options = options;
        Parent = parent;
        _previous = previous;
        _baseline = options.IgnoreCurrent ? PendingOperationScanner.SnapshotIdentities() : null;
        StartMark = NextTaskIdMark();
        s_recent.Enqueue(this);
        while (s_recent.Count > RecentScopesKept && s_recent.TryDequeue(out _))
        {
        }
    }

    /// <summary>A task id no task registered before this call has, and every task registered after it exceeds.</summary>
    internal static int NextTaskIdMark() => new Task(static () => { }).Id;

    /// <summary>The task-id mark when the scope began.</summary>
    internal int StartMark { get; }

    /// <summary>
    /// The task-id mark when the scope's body ended (its first check began), or 0 while it runs. A task registered
    /// later was started by work still running under this scope's context after its body ended (LateWork).
    /// </summary>
    internal int EndMark { get; private set; }

    internal void MarkBodyEnded()
    {
        if (EndMark == 0)
        {
            EndMark = NextTaskIdMark();
        }
    }

    /// <summary>The scopes begun lately whose body was running when the task with this id registered (oldest first).</summary>
    internal static IEnumerable<LeakScope> RunningAt(int taskId) =>
        s_recent.Where(s => s.StartMark < taskId && (s.EndMark == 0 || s.EndMark > taskId));

    /// <summary>The scope current on this execution context, or null.</summary>
    public static LeakScope? Current => s_current.Value;

    /// <summary>The scope's name: the test's display name for scopes the xunit integration begins.</summary>
    public string Name { get; }

    /// <summary>The options this scope checks with.</summary>
    public LeakOptions Options { get; }

    /// <summary>The enclosing scope, or null.</summary>
    public LeakScope? Parent { get; }

    internal static AsyncLocal<LeakScope?> CurrentLocal => s_current;

    /// <summary>
    /// Whether this scope's check is off (<c>[LeakCheck(Enabled = false)]</c>): its work is still attributed to it,
    /// so the end-of-run check knows it was opted out instead of reporting it as nobody's.
    /// </summary>
    internal bool IsOptedOut => _optedOut;

    internal void OptOut() => _optedOut = true;

    /// <summary>Remembers what a check of this scope reported, so the end-of-run check does not report it twice.</summary>
    internal void MarkReported(IEnumerable<PendingOperation> operations)
    {
        lock (_reported)
        {
            foreach (var operation in operations)
            {
                _reported.Add(operation.Source);
            }
        }
    }

    internal bool WasReported(object source)
    {
        lock (_reported)
        {
            return _reported.Contains(source);
        }
    }

    /// <summary>
    /// Makes this scope current until the returned value is disposed. Use it where work is dispatched without
    /// flowing the execution context, such as a server's per-request handler:
    /// <c>app.Use(next =&gt; ctx =&gt; { using (scope.Enter()) return next(ctx); });</c>
    /// </summary>
    public Entered Enter()
    {
        var previous = s_current.Value;
        s_current.Value = this;
        return new Entered(previous);
    }

    /// <summary>Starts <paramref name="body"/> with this scope current and restores the caller's scope before returning.</summary>
    public Task RunAsync(Func<Task> body)
    {
        using (Enter())
        {
            return body();
        }
    }

    /// <summary>Starts <paramref name="body"/> with this scope current and restores the caller's scope before returning.</summary>
    public Task<T> RunAsync<T>(Func<Task<T>> body)
    {
        using (Enter())
        {
            return body();
        }
    }

    /// <summary>The operations attributed to this scope (or a scope nested in it) that are pending right now.</summary>
    public IReadOnlyList<PendingOperation> FindPending() => LeakVerifier.FindPending(this, _baseline, Options);

    /// <summary>
    /// Waits, retrying with backoff for at most <see cref="LeakOptions.Timeout"/>, until no operation attributed to this
    /// scope is pending, and returns what is left (empty when clean). Before reporting anything it forces a full
    /// garbage collection, so timers and sockets nobody references any more are finalized, not reported.
    /// </summary>
    public Task<LeakReport> VerifyAsync(CancellationToken cancellationToken = default) =>
        LeakVerifier.VerifyAsync(this, _baseline, Options, cancellationToken);

    /// <summary>Ends the scope: restores the scope that was current when it began, verifies, and throws <see cref="LeakException"/> on a leak.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        // Restore before the first await, so the awaiting caller's continuation no longer runs under this scope.
        if (ReferenceEquals(s_current.Value, this))
        {
            s_current.Value = _previous;
        }

        return new ValueTask(VerifyAndThrowAsync());
    }

    /// <summary>Whether an operation attributed to <paramref name="scope"/> counts against this scope.</summary>
    internal bool Owns(LeakScope? scope)
    {
        for (var s = scope; s is not null; s = s.Parent)
        {
            if (ReferenceEquals(s, this))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private async Task VerifyAndThrowAsync()
    {
        var report = await VerifyAsync().ConfigureAwait(false);
        report.ThrowIfLeaked();
    }

    /// <summary>Restores the previously current scope when disposed.</summary>
    public readonly struct Entered : IDisposable
    {
        private readonly LeakScope? _previous;

        internal Entered(LeakScope? previous) => _previous = previous;

        /// <inheritdoc />
        public void Dispose() => s_current.Value = _previous;
    }
}

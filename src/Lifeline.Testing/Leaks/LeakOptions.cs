namespace Lifeline.Testing.Leaks;

/// <summary>What a leak check looks for and how long it waits. Immutable once a scope has begun.</summary>
public sealed record LeakOptions
{
    /// <summary>The options used when none are given.</summary>
    public static LeakOptions Default { get; } = new();

    /// <summary>
    /// How long a check keeps retrying, with backoff, before it reports: work that is already ending (a loop
    /// that saw its cancellation and is unwinding) gets this long to finish. A clean check returns at once.
    /// </summary>
    /// <value>Default 500 ms. Must be zero or positive, and at most 5 minutes.</value>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Whether live <see cref="System.Threading.Timer"/>s (and <see cref="TimeProvider"/> timers) count.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool IncludeTimers { get; init; } = true;

    private readonly IReadOnlySet<object>? _baseline;

    /// <summary>
    /// Whether to ignore every operation already pending (goleak's <c>IgnoreCurrent</c>): for a scope, what was
    /// pending when the scope began; for <see cref="LeakVerifier.VerifyAllAsync"/>, what was pending when these
    /// options were created (<c>new LeakOptions { IgnoreCurrent = true }</c> or <c>with { IgnoreCurrent = true }</c>).
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool IgnoreCurrent
    {
        get => _baseline is not null;
        init => _baseline = value ? PendingOperationScanner.SnapshotIdentities() : null;
    }

    /// <summary>What was pending when <see cref="IgnoreCurrent"/> was set, or null.</summary>
    internal IReadOnlySet<object>? Baseline => _baseline;

    /// <summary>
    /// Operations whose outermost async method (the top of the await chain), Task.Run delegate or timer callback
    /// matches one of these patterns are not leaks. A pattern is <c>Type.Method</c>, a full name
    /// (<c>Namespace.Type.Method</c>), or a prefix ending in <c>*</c> (<c>MyApp.Telemetry.*</c>).
    /// </summary>
    /// <value>Default empty.</value>
    public IReadOnlyList<string> IgnoreTopFunctions { get; init; } = [];

    /// <summary>Operations with any frame of the await chain matching one of these patterns are not leaks.</summary>
    /// <value>Default empty. Same forms as <see cref="IgnoreTopFunctions"/>.</value>
    public IReadOnlyList<string> IgnoreAnyFunctions { get; init; } = [];

    /// <summary>
    /// Whether the built-in ignores apply: the test framework's own infrastructure (xunit, the test platform)
    /// and the verifier itself.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool UseBuiltInIgnores { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Timeout < TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException($"{nameof(Timeout)} must be between 0 and 5 minutes; it was {Timeout}.", nameof(Timeout));
        }

        foreach (var pattern in IgnoreTopFunctions.Concat(IgnoreAnyFunctions))
        {
            if (string.IsNullOrWhiteSpace(pattern) || pattern.IndexOf('*', StringComparison.Ordinal) is var star && star >= 0 && star != pattern.Length - 1)
            {
                throw new ArgumentException($"Ignore pattern '{pattern}' is invalid: use Type.Method, Namespace.Type.Method, or a prefix ending in '*'.", nameof(IgnoreTopFunctions));
            }
        }
    }
}

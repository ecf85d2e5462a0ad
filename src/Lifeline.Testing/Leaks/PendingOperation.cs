namespace Lifeline.Testing.Leaks;

/// <summary>The kind of work a leak check found still running.</summary>
public enum PendingOperationKind
{
    /// <summary>An async method suspended at an await.</summary>
    AsyncMethod,

    /// <summary>A delegate run by <c>Task.Run</c>, <c>Task.Factory.StartNew</c> or a continuation, not yet finished.</summary>
    TaskDelegate,

    /// <summary>A live <see cref="System.Threading.Timer"/> or <see cref="TimeProvider"/> timer.</summary>
    Timer,
}

/// <summary>One operation still pending after a scope ended: what it is, where it is, what it waits for, who started it.</summary>
public sealed class PendingOperation
{
    internal PendingOperation(PendingOperationKind kind, IReadOnlyList<AsyncFrame> chain, string waitingOn, LeakScope? scope, object source, object? awaited = null)
    {
        Awaited = awaited;
        Kind = kind;
        Chain = chain;
        WaitingOn = waitingOn;
        Scope = scope;
        StartedBy = scope?.Name;
        Source = source;
    }

    /// <summary>What kind of operation this is.</summary>
    public PendingOperationKind Kind { get; }

    /// <summary>
    /// For an async method, the await chain from the outermost pending method (index 0) inward; for a task
    /// delegate or a timer, one frame naming the delegate or callback.
    /// </summary>
    public IReadOnlyList<AsyncFrame> Chain { get; }

    /// <summary>The outermost frame: the method that owns the operation.</summary>
    public AsyncFrame Top => Chain[0];

    /// <summary>What the innermost frame waits on (<c>Task.Delay</c>, <c>Socket receive</c>, <c>Channel read</c>, ...), or the timer's schedule.</summary>
    public string WaitingOn { get; }

    /// <summary>The name of the scope (test) whose execution context started the operation, or null if none.</summary>
    public string? StartedBy { get; }

    /// <summary>The task or timer object itself, for identity comparisons.</summary>
    internal object Source { get; }

    /// <summary>What the innermost frame awaits (the leaf object), or null: a check sees progress when it changes.</summary>
    internal object? Awaited { get; }

    /// <summary>The scope whose execution context started the operation, or null.</summary>
    internal LeakScope? Scope { get; }

    /// <summary>Said after the operation in a report: why it is not blamed on the scope whose context started it.</summary>
    internal string? Note { get; init; }

    /// <summary>A copy with a note, attributed to no scope.</summary>
    internal PendingOperation Unattributed(string note) => new(Kind, Chain, WaitingOn, null, Source, Awaited) { Note = note, OriginalScope = Scope };

    /// <summary>For an unattributed copy, the scope whose context started it.</summary>
    internal LeakScope? OriginalScope { get; private init; }

    /// <inheritdoc />
    public override string ToString() => (Kind switch
    {
        PendingOperationKind.AsyncMethod => $"[async] {string.Join(" → ", Chain.Select(f => f.Name))} awaiting {WaitingOn}",
        PendingOperationKind.TaskDelegate => $"[task] {Top.Name} ({WaitingOn})",
        _ => $"[timer] {Top.Name} ({WaitingOn})",
    }) + (Note is null ? "" : $" ({Note})");
}

/// <summary>One frame of an await chain: a method, lambda or callback.</summary>
/// <param name="Name">Short name, <c>Type.Method</c>.</param>
/// <param name="FullName">Name with namespace, <c>Namespace.Type.Method</c>.</param>
public sealed record AsyncFrame(string Name, string FullName)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}

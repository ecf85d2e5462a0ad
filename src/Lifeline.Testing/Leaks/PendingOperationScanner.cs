using System.Runtime.CompilerServices;

namespace Lifeline.Testing.Leaks;

/// <summary>
/// Finds the operations still pending in the process and keeps those a predicate attributes to a scope.
/// </summary>
/// <remarks>
/// An operation is attributed by the execution context it captured: the <see cref="LeakScope"/> held by an
/// AsyncLocal when the async method last awaited, when the Task.Run delegate was queued, or when the timer was
/// created. Async methods are grouped into await chains, so one leaked loop is one finding however deep it is.
/// Thread-safe; each call works on its own snapshot.
/// </remarks>
internal static class PendingOperationScanner
{
    private const int MaxChainDepth = 64;

    /// <summary>
    /// The pending operations <paramref name="owned"/> keeps. A task registered with an id at or below
    /// <paramref name="afterTaskId"/> is skipped unread: a scope passes the mark taken when it began, since a task that
    /// registered before it existed cannot have captured its context (an async method captures the context current at
    /// each suspension, and only the method that makes the scope current could have suspended under it, which is the
    /// scope's caller, never its finding).
    /// </summary>
    public static List<PendingOperation> Scan(Func<LeakScope?, bool> owned, LeakOptions options, IReadOnlySet<object>? baseline, bool applyIgnores = true, int afterTaskId = 0)
    {
        var found = new List<PendingOperation>();
        var scopes = new Dictionary<ExecutionContext, LeakScope?>(ReferenceEqualityComparer.Instance);

        LeakScope? ScopeOf(ExecutionContext? context)
        {
            if (context is null)
            {
                return null;
            }

            if (!scopes.TryGetValue(context, out var scope))
            {
                scope = RuntimeInternals.ReadAsyncLocal(context, LeakScope.CurrentLocal);
                scopes[context] = scope;
            }

            return scope;
        }

        var boxes = new Dictionary<Task, (IAsyncStateMachine Machine, LeakScope? Scope)>(ReferenceEqualityComparer.Instance);
        foreach (var task in RuntimeInternals.SnapshotActiveTasks())
        {
            if (task.IsCompleted || (afterTaskId > 0 && RuntimeInternals.GetRawId(task) is var id && id != 0 && id <= afterTaskId) || (baseline?.Contains(task) ?? false))
            {
                continue;
            }

            var scope = ScopeOf(RuntimeInternals.GetCapturedContext(task));
            if (!owned(scope))
            {
                continue;
            }

            if (AsyncFrames.GetStateMachine(task) is { } machine)
            {
                boxes[task] = (machine, scope);
            }
            else if (RuntimeInternals.GetAction(task) is { } action)
            {
                var state = task.Status == TaskStatus.Running ? "running" : $"not finished, status {task.Status}";
                found.Add(new PendingOperation(PendingOperationKind.TaskDelegate, [AsyncFrames.Frame(action)], state, scope, task));
            }
        }

        found.AddRange(BuildChains(boxes));

        if (options.IncludeTimers)
        {
            // Only the timers this check may own are read past their context.
            foreach (var timer in RuntimeInternals.SnapshotTimers(context => owned(ScopeOf(context))))
            {
                if (timer.Callback is null || IsOwnedByATask(timer.Callback) || (baseline?.Contains(timer.Timer) ?? false))
                {
                    continue;
                }

                var schedule = timer.PeriodMs is 0 or uint.MaxValue ? $"one-shot, due {timer.DueTimeMs} ms after it was set" : $"every {timer.PeriodMs} ms";
                found.Add(new PendingOperation(PendingOperationKind.Timer, [AsyncFrames.Frame(timer.Callback)], schedule, ScopeOf(timer.Context), timer.Timer));
            }
        }

        if (applyIgnores)
        {
            found.RemoveAll(op => FunctionPattern.IsIgnored(op, options));
        }

        return found;
    }

    /// <summary>Every object pending now, attributed or not: the baseline for <see cref="LeakOptions.IgnoreCurrent"/>.</summary>
    public static HashSet<object> SnapshotIdentities()
    {
        var set = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var task in RuntimeInternals.SnapshotActiveTasks())
        {
            set.Add(task);
        }

        foreach (var timer in RuntimeInternals.SnapshotTimers())
        {
            set.Add(timer.Timer);
        }

        return set;
    }

    /// <summary>
    /// Timers the runtime arms for Task.Delay, WaitAsync, CancelAfter and PeriodicTimer belong to a task, token or
    /// periodic timer: a leak there shows as the async method awaiting it, so the timer is not a finding of its own.
    /// </summary>
    private static bool IsOwnedByATask(Delegate callback)
    {
        var declaring = callback.Method.DeclaringType;
        while (declaring?.DeclaringType is not null)
        {
            declaring = declaring.DeclaringType;
        }

        // PeriodicTimer's timer is made with the execution context suppressed, so it could never be attributed;
        // a leaked PeriodicTimer loop shows as the method awaiting WaitForNextTickAsync.
        return declaring == typeof(Task) || declaring == typeof(CancellationTokenSource) || declaring == typeof(PeriodicTimer);
    }

    private static IEnumerable<PendingOperation> BuildChains(Dictionary<Task, (IAsyncStateMachine Machine, LeakScope? Scope)> boxes)
    {
        // Async iterators are classes: a caller's awaiter holds the iterator object itself, and the registered box
        // running the iterator's MoveNext holds the same object as its state machine.
        var boxByMachine = new Dictionary<object, Task>(ReferenceEqualityComparer.Instance);
        foreach (var (task, (machine, _)) in boxes)
        {
            if (!machine.GetType().IsValueType)
            {
                boxByMachine[machine] = task;
            }
        }

        var walks = new List<(Task Task, LeakScope? Scope, List<AsyncFrame> Chain, object? Leaf)>();
        var inner = new HashSet<Task>(ReferenceEqualityComparer.Instance);
        foreach (var (task, (machine, scope)) in boxes)
        {
            var (chain, leaf) = Walk(machine, boxes, boxByMachine, inner);
            walks.Add((task, scope, chain, leaf));
        }

        // A box met inside another box's chain is an inner frame of that chain, not a finding of its own.
        foreach (var (task, scope, chain, leaf) in walks)
        {
            if (!inner.Contains(task))
            {
                yield return new PendingOperation(PendingOperationKind.AsyncMethod, chain, AsyncFrames.DescribeLeaf(leaf), scope, task, leaf);
            }
        }
    }

    /// <summary>
    /// Follows what each frame awaits down to the leaf: through registered boxes, pooled ValueTask boxes (which the
    /// registry does not hold), <c>ValueTask.AsTask()</c> wrappers and async iterators.
    /// </summary>
    private static (List<AsyncFrame> Chain, object? Leaf) Walk(
        IAsyncStateMachine root,
        Dictionary<Task, (IAsyncStateMachine Machine, LeakScope? Scope)> boxes,
        Dictionary<object, Task> boxByMachine,
        HashSet<Task> inner)
    {
        var chain = new List<AsyncFrame> { AsyncFrames.Frame(root.GetType()) };
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance) { root };
        var current = AsyncFrames.GetAwaited(root);
        while (current is not null && chain.Count < MaxChainDepth && visited.Add(current))
        {
            IAsyncStateMachine? next = null;
            if (current is Task task && boxes.TryGetValue(task, out var box))
            {
                inner.Add(task);
                next = box.Machine;
            }
            else if (current is IAsyncStateMachine iterator)
            {
                if (boxByMachine.TryGetValue(iterator, out var iteratorBox))
                {
                    inner.Add(iteratorBox);
                }

                next = iterator;
            }
            else if (current is not Task && AsyncFrames.GetStateMachine(current) is { } pooled)
            {
                next = pooled;
            }
            else if (current is Task wrapper && AsyncFrames.GetValueTaskSource(wrapper) is { } source)
            {
                current = source;
                continue;
            }

            if (next is null || !visited.Add(next))
            {
                break;
            }

            chain.Add(AsyncFrames.Frame(next.GetType()));
            current = AsyncFrames.GetAwaited(next);
        }

        return (chain, current);
    }
}

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

    public static List<PendingOperation> Scan(Func<LeakScope?, bool> owned, LeakOptions options, IReadOnlySet<object>? baseline)
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
            if (task.IsCompleted || (baseline?.Contains(task) ?? false))
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
                found.Add(new PendingOperation(PendingOperationKind.TaskDelegate, [AsyncFrames.Frame(action)], state, scope?.Name, task));
            }
        }

        found.AddRange(BuildChains(boxes));

        if (options.IncludeTimers)
        {
            foreach (var timer in RuntimeInternals.SnapshotTimers())
            {
                if (timer.Callback is null || (baseline?.Contains(timer.Timer) ?? false))
                {
                    continue;
                }

                var scope = ScopeOf(timer.Context);
                if (owned(scope))
                {
                    var schedule = timer.PeriodMs is 0 or uint.MaxValue ? $"one-shot, due {timer.DueTimeMs} ms after it was set" : $"every {timer.PeriodMs} ms";
                    found.Add(new PendingOperation(PendingOperationKind.Timer, [AsyncFrames.Frame(timer.Callback)], schedule, scope?.Name, timer.Timer));
                }
            }
        }

        found.RemoveAll(op => FunctionPattern.IsIgnored(op, options));
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

    private static IEnumerable<PendingOperation> BuildChains(Dictionary<Task, (IAsyncStateMachine Machine, LeakScope? Scope)> boxes)
    {
        // A box awaited by another pending box is an inner frame of that box's chain, not a finding of its own.
        var awaited = new Dictionary<Task, object?>(ReferenceEqualityComparer.Instance);
        var inner = new HashSet<Task>(ReferenceEqualityComparer.Instance);
        foreach (var (task, (machine, _)) in boxes)
        {
            var target = AsyncFrames.GetAwaited(machine);
            awaited[task] = target;
            if (target is Task child && !ReferenceEquals(child, task) && boxes.ContainsKey(child))
            {
                inner.Add(child);
            }
        }

        foreach (var (task, (machine, scope)) in boxes)
        {
            if (inner.Contains(task))
            {
                continue;
            }

            var chain = new List<AsyncFrame> { AsyncFrames.Frame(machine.GetType()) };
            var current = task;
            var visited = new HashSet<Task>(ReferenceEqualityComparer.Instance) { task };
            while (chain.Count < MaxChainDepth && awaited[current] is Task next && boxes.TryGetValue(next, out var nextBox) && visited.Add(next))
            {
                chain.Add(AsyncFrames.Frame(nextBox.Machine.GetType()));
                current = next;
            }

            yield return new PendingOperation(PendingOperationKind.AsyncMethod, chain, AsyncFrames.DescribeLeaf(awaited[current]), scope?.Name, task);
        }
    }
}

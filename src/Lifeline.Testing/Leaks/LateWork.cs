namespace Lifeline.Testing.Leaks;

/// <summary>
/// Work that began under a scope's execution context after the scope's body had ended, with nothing older awaiting
/// it: an orphan, started by something the scope left running, not by the scope's own code.
/// </summary>
/// <remarks>
/// The case it exists for: a shared worker (a lazily started static singleton whose loop runs jobs) captures the
/// context of the first test that touched it, so a never-ending job a later test posts to it runs under the first
/// test's context. Blaming the first test would be wrong, and nothing in the runtime says who posted the job; so such
/// an orphan is never charged to the scope, and the end-of-run check reports it plainly as nobody's, naming the scope
/// whose leftover work started it, that work, and the tests that were running when it began.
/// <para>
/// "Began" is the task's registry id (ids increase; the registry gives one when an async method first suspends or a
/// Task.Run is queued), compared with the id mark taken when the scope's body ended. "Nothing older awaits it" is
/// its continuation chain: an async method awaited by an older one, or the async lambda of a Task.Run queued by the
/// body, is part of older work and stays the scope's. Timers carry no id and are always the scope's. Thread-safe.
/// </para>
/// </remarks>
internal static class LateWork
{
    private const int MaxContinuationDepth = 16;
    private const int TestsNamed = 5;

    /// <summary>Drops the orphans from a scope's own findings.</summary>
    public static List<PendingOperation> RemoveOrphans(List<PendingOperation> pending)
    {
        pending.RemoveAll(static op => OrphanedFrom(op) is not null);
        return pending;
    }

    /// <summary>Replaces each orphan with an unattributed copy whose note says where it came from (the end-of-run check).</summary>
    public static List<PendingOperation> DescribeOrphans(List<PendingOperation> all)
    {
        var result = new List<PendingOperation>(all.Count);
        foreach (var op in all)
        {
            if (OrphanedFrom(op) is not var (scope, id))
            {
                result.Add(op);
                continue;
            }

            var leftRunning = all
                .Where(o => ReferenceEquals(o.Scope, scope) && !ReferenceEquals(o, op) && OrphanedFrom(o) is null && !FunctionPattern.MatchesAny(o.Top, FunctionPattern.BuiltInIgnores))
                .Select(static o => o.Top.Name)
                .Distinct()
                .ToList();
            var running = LeakScope.RunningAt(id).Where(s => s.Parent is null && !ReferenceEquals(s, scope)).Select(static s => s.Name).ToList();
            var runningText = running.Count == 0 ? "none" : string.Join(", ", running.Take(TestsNamed)) + (running.Count > TestsNamed ? $" and {running.Count - TestsNamed} more" : "");
            var workText = leftRunning.Count == 0 ? "work it left running" : $"work it left running: {string.Join(", ", leftRunning)}";
            result.Add(op.Unattributed(
                $"begun after {scope.Name} ended, under its context, by {workText}; cannot tell which test posted it; tests running then: {runningText}"));
        }

        return result;
    }

    /// <summary>The scope on the operation's chain whose body ended before the operation began, if it is an orphan of it.</summary>
    private static (LeakScope Scope, int Id)? OrphanedFrom(PendingOperation op)
    {
        if (op.Source is not Task task || RuntimeInternals.GetRawId(task) is var id && id == 0)
        {
            return null;
        }

        for (var scope = op.Scope; scope is not null; scope = scope.Parent)
        {
            if (scope.EndMark != 0 && id > scope.EndMark && IsOrphan(task, scope.EndMark))
            {
                return (scope, id);
            }
        }

        return null;
    }

    private static bool IsOrphan(Task task, int mark)
    {
        var current = task;
        for (var depth = 0; depth < MaxContinuationDepth; depth++)
        {
            var id = RuntimeInternals.GetRawId(current);
            if (id == 0 || id <= mark)
            {
                // Awaited by work older than the mark (or of unknown age): part of that work.
                return false;
            }

            switch (RuntimeInternals.GetContinuation(current))
            {
                case null:
                    return true;
                case Task next:
                    current = next;
                    break;
                case Delegate { Target: Task next }:
                    current = next;
                    break;
                default:
                    // Several continuations, or one behind a synchronization context: assume an older awaiter.
                    return false;
            }
        }

        return false;
    }
}

using System.Collections;
using System.Reflection;

namespace Lifeline.Testing.Leaks;

/// <summary>
/// Guarded access to the private runtime state the verifier reads: the debugger-facing registry of active
/// tasks, the captured <see cref="ExecutionContext"/> of a task, and the runtime's timer queues.
/// </summary>
/// <remarks>
/// Every member is looked up once, by name, when this type is first used. If any is missing (a runtime that
/// renamed it), <see cref="IsSupported"/> is <see langword="false"/> and <see cref="UnsupportedReason"/> names
/// every missing member: the verifier then reports "unsupported runtime" instead of guessing. Thread-safe.
/// </remarks>
internal static class RuntimeInternals
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    private const BindingFlags Static = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly List<string> s_missing = [];

    private static readonly FieldInfo? s_asyncDebuggingEnabled = Field(typeof(Task), "s_asyncDebuggingEnabled", Static);
    private static readonly FieldInfo? s_currentActiveTasks = Field(typeof(Task), "s_currentActiveTasks", Static);
    private static readonly FieldInfo? s_taskAction = Field(typeof(Task), "m_action", Instance);
    private static readonly FieldInfo? s_taskStateObject = Field(typeof(Task), "m_stateObject", Instance);
    private static readonly FieldInfo? s_taskId = Field(typeof(Task), "m_taskId", Instance);
    private static readonly FieldInfo? s_taskContinuation = Field(typeof(Task), "m_continuationObject", Instance);
    private static readonly FieldInfo? s_taskContingentProperties = Field(typeof(Task), "m_contingentProperties", Instance);
    private static readonly FieldInfo? s_capturedContext = Field(typeof(Task).GetNestedType("ContingentProperties", BindingFlags.NonPublic), "m_capturedContext", Instance, "Task+ContingentProperties");
    private static readonly Type? s_timerQueueType = RuntimeType("System.Threading.TimerQueue");
    private static readonly Type? s_timerQueueTimerType = RuntimeType("System.Threading.TimerQueueTimer");
    private static readonly PropertyInfo? s_timerQueueInstances = Property(s_timerQueueType, "Instances", Static);
    private static readonly PropertyInfo? s_timerQueueLock = Property(s_timerQueueType, "SharedLock", Instance);
    private static readonly FieldInfo? s_shortTimers = Field(s_timerQueueType, "_shortTimers", Instance);
    private static readonly FieldInfo? s_longTimers = Field(s_timerQueueType, "_longTimers", Instance);
    private static readonly FieldInfo? s_timerNext = Field(s_timerQueueTimerType, "_next", Instance);
    private static readonly FieldInfo? s_timerCallback = Field(s_timerQueueTimerType, "_timerCallback", Instance);
    private static readonly FieldInfo? s_timerState = Field(s_timerQueueTimerType, "_state", Instance);
    private static readonly FieldInfo? s_timerContext = Field(s_timerQueueTimerType, "_executionContext", Instance);
    private static readonly FieldInfo? s_timerPeriod = Field(s_timerQueueTimerType, "_period", Instance);
    private static readonly FieldInfo? s_timerDueTime = Field(s_timerQueueTimerType, "_dueTime", Instance);
    private static readonly FieldInfo? s_timerCanceled = Field(s_timerQueueTimerType, "_canceled", Instance);

    private static readonly FieldInfo? s_localValues = Field(typeof(ExecutionContext), "m_localValues", Instance);
    private static readonly MethodInfo? s_localValuesTryGetValue = Method(RuntimeType("System.Threading.IAsyncLocalValueMap"), "TryGetValue");

    /// <summary>Whether every internal the verifier needs was found on this runtime.</summary>
    public static bool IsSupported { get; } = s_missing.Count == 0;

    // Compiled readers of the fields above (FieldReaders says why), made only when every member was found: what a scan
    // reads per timer, per captured context and per delegate task.
    private static readonly Func<object, object?>? s_readTimerNext = IsSupported ? FieldReaders.Field<object?>(s_timerNext!) : null;
    private static readonly Func<object, bool>? s_readTimerCanceled = IsSupported ? FieldReaders.Field<bool>(s_timerCanceled!) : null;
    private static readonly Func<object, ExecutionContext?>? s_readTimerContext = IsSupported ? FieldReaders.Field<ExecutionContext?>(s_timerContext!) : null;
    private static readonly Func<object, Delegate?>? s_readTimerCallback = IsSupported ? FieldReaders.Field<Delegate?>(s_timerCallback!) : null;
    private static readonly Func<object, object?>? s_readTimerState = IsSupported ? FieldReaders.Field<object?>(s_timerState!) : null;
    private static readonly Func<object, uint>? s_readTimerDueTime = IsSupported ? FieldReaders.Field<uint>(s_timerDueTime!) : null;
    private static readonly Func<object, uint>? s_readTimerPeriod = IsSupported ? FieldReaders.Field<uint>(s_timerPeriod!) : null;
    private static readonly Func<object, object?>? s_readLocalValues = IsSupported ? FieldReaders.Field<object?>(s_localValues!) : null;
    private static readonly Func<object, object, object?>? s_tryGetLocalValue = IsSupported ? FieldReaders.TryGetValue(s_localValuesTryGetValue!) : null;
    private static readonly Func<object, object?>? s_readContingentProperties = IsSupported ? FieldReaders.Field<object?>(s_taskContingentProperties!) : null;
    private static readonly Func<object, ExecutionContext?>? s_readCapturedContext = IsSupported ? FieldReaders.Field<ExecutionContext?>(s_capturedContext!) : null;

    /// <summary>Why the runtime is unsupported, naming each missing member; empty when supported.</summary>
    public static string UnsupportedReason { get; } = s_missing.Count == 0
        ? string.Empty
        : $"unsupported runtime ({System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}): the leak verifier relies on runtime internals that were not found: {string.Join(", ", s_missing)}";

    /// <summary>The members that were looked up and not found.</summary>
    public static IReadOnlyList<string> MissingMembers => s_missing;

    /// <summary>Turns on the runtime's active-task registry. Work started before this call stays invisible.</summary>
    public static bool EnableTaskTracking()
    {
        if (!IsSupported)
        {
            return false;
        }

        s_asyncDebuggingEnabled!.SetValue(null, true);
        return true;
    }

    /// <summary>Whether the active-task registry is on.</summary>
    public static bool IsTaskTrackingEnabled => IsSupported && (bool)s_asyncDebuggingEnabled!.GetValue(null)!;

    /// <summary>Copies the tasks the runtime currently registers as active (not yet completed).</summary>
    public static List<Task> SnapshotActiveTasks()
    {
        var registryObject = IsSupported ? s_currentActiveTasks!.GetValue(null) : null;
        if (registryObject is Dictionary<int, Task> typed)
        {
            // The runtime adds and removes under a lock on the dictionary itself; take the same lock to copy, and hold it
            // as briefly as possible: every async method in the process waits on it meanwhile.
            List<Task> copy;
            lock (typed)
            {
                copy = [.. typed.Values];
            }

            LeakCheckStats.TasksRead(copy.Count);
            return copy;
        }

        var result = new List<Task>();
        if (registryObject is not IDictionary registry)
        {
            return result;
        }

        lock (registry)
        {
            foreach (var value in registry.Values)
            {
                if (value is Task task)
                {
                    result.Add(task);
                }
            }
        }

        return result;
    }

    /// <summary>
    /// A task's id if it has been given one, else 0, without giving it one (<see cref="Task.Id"/> would). Ids come
    /// from one increasing counter, and the registry gives each task its id when it registers it (an async method
    /// at its first suspension, a Task.Run when it is queued), so ids order tasks by when they began.
    /// </summary>
    public static int GetRawId(Task task) => IsSupported ? TaskIdField(task) : 0;

    /// <summary>What runs when a task completes (an awaiting method's box, a continuation task, a list of them), or null.</summary>
    public static object? GetContinuation(Task task) => s_taskContinuation?.GetValue(task);

    /// <summary>The delegate a task runs (for <c>Task.Run</c> and continuations), or null.</summary>
    public static Delegate? GetAction(Task task) => s_taskAction?.GetValue(task) as Delegate;

    /// <summary>The execution context a task captured when it was scheduled or last awaited, or null (flow suppressed, or none).</summary>
    public static ExecutionContext? GetCapturedContext(Task task)
    {
        // An async method's box keeps its context in m_stateObject (.NET 10); a delegate task keeps it in its contingent properties.
        if (IsSupported && TaskStateObjectField(task) is ExecutionContext boxContext)
        {
            return boxContext;
        }

        var contingent = s_readContingentProperties?.Invoke(task);
        return contingent is null ? null : s_readCapturedContext!(contingent);
    }

    /// <summary>
    /// Copies the active timers of every runtime timer queue whose captured context <paramref name="keep"/> accepts
    /// (every one when null). The context is read first, so a timer a scope cannot own (another test's, or a
    /// Task.Delay's, which captures none) costs two field reads and nothing else.
    /// </summary>
    public static List<TimerInfo> SnapshotTimers(Func<ExecutionContext?, bool>? keep = null)
    {
        var result = new List<TimerInfo>();
        if (!IsSupported || s_timerQueueInstances!.GetValue(null) is not Array queues)
        {
            return result;
        }

        var timers = new List<object>();
        foreach (var queue in queues)
        {
            if (queue is null || s_timerQueueLock!.GetValue(queue) is not Lock queueLock)
            {
                continue;
            }

            // Held only to walk the lists: every timer of this queue waits on it meanwhile.
            lock (queueLock)
            {
                foreach (var head in new[] { s_shortTimers!.GetValue(queue), s_longTimers!.GetValue(queue) })
                {
                    for (var timer = head; timer is not null; timer = s_readTimerNext!(timer))
                    {
                        timers.Add(timer);
                    }
                }
            }
        }

        foreach (var timer in timers)
        {
            if (s_readTimerCanceled!(timer) || s_readTimerContext!(timer) is var context && keep is not null && !keep(context))
            {
                continue;
            }

            result.Add(new TimerInfo(timer, s_readTimerCallback!(timer), s_readTimerState!(timer), context, s_readTimerDueTime!(timer), s_readTimerPeriod!(timer)));
        }

        return result;
    }

    /// <summary>
    /// Reads an <see cref="AsyncLocal{T}"/>'s value as seen by a captured context, without running anything
    /// under that context (so no AsyncLocal change handlers fire).
    /// </summary>
    public static T? ReadAsyncLocal<T>(ExecutionContext context, AsyncLocal<T> local)
    {
        if (!IsSupported || s_readLocalValues!(context) is not { } map)
        {
            return default;
        }

        return s_tryGetLocalValue!(map, local) is T value ? value : default;
    }

    // Direct field access for the per-task reads of every scan (reflection costs about a microsecond per task). Only
    // called once IsSupported has checked, by reflection, that the fields exist.
    [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.Field, Name = "m_taskId")]
    private static extern ref int TaskIdField(Task task);

    [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.Field, Name = "m_stateObject")]
    private static extern ref object? TaskStateObjectField(Task task);

    private static MethodInfo? Method(Type? type, string name)
    {
        var method = type?.GetMethod(name, Instance);
        if (method is null)
        {
            s_missing.Add($"{type?.Name ?? "?"}.{name}");
        }

        return method;
    }

    private static Type? RuntimeType(string name)
    {
        var type = typeof(object).Assembly.GetType(name, throwOnError: false);
        if (type is null)
        {
            s_missing.Add(name);
        }

        return type;
    }

    private static FieldInfo? Field(Type? type, string name, BindingFlags flags, string? typeName = null)
    {
        var field = type?.GetField(name, flags);
        if (field is null)
        {
            s_missing.Add($"{typeName ?? type?.Name ?? "?"}.{name}");
        }

        return field;
    }

    private static PropertyInfo? Property(Type? type, string name, BindingFlags flags)
    {
        var property = type?.GetProperty(name, flags);
        if (property is null)
        {
            s_missing.Add($"{type?.Name ?? "?"}.{name}");
        }

        return property;
    }
}

/// <summary>One active runtime timer, as read from its queue.</summary>
internal sealed record TimerInfo(object Timer, Delegate? Callback, object? State, ExecutionContext? Context, uint DueTimeMs, uint PeriodMs);

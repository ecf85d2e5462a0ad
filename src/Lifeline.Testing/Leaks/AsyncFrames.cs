using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Lifeline.Testing.Leaks;

/// <summary>
/// Reads what a pending async method is and what it awaits, from the compiler-generated state machine the
/// runtime keeps in the method's task (<c>AsyncStateMachineBox&lt;TStateMachine&gt;.StateMachine</c>).
/// </summary>
/// <remarks>
/// In a suspended state machine exactly one awaiter field (<c>&lt;&gt;u__N</c>) holds a value: the one the method is
/// suspended on (the compiler clears each awaiter after it resumes). Reflection metadata is cached per type.
/// Thread-safe.
/// </remarks>
internal static partial class AsyncFrames
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    private const int MaxAwaiterDepth = 4;

    private static readonly ConcurrentDictionary<Type, FieldInfo?> s_stateMachineField = new();
    private static readonly ConcurrentDictionary<Type, FieldInfo?> s_sourceField = new();
    private static readonly ConcurrentDictionary<Type, FieldInfo[]> s_awaiterFields = new();
    private static readonly ConcurrentDictionary<Type, FieldInfo[]> s_nestedFields = new();
    private static readonly ConcurrentDictionary<Type, AsyncFrame> s_frames = new();

    /// <summary>
    /// The state machine of an async method's box (a registered task, or a pooled ValueTask box the registry does
    /// not hold), or null when the object is not one.
    /// </summary>
    public static IAsyncStateMachine? GetStateMachine(object box)
    {
        var field = s_stateMachineField.GetOrAdd(box.GetType(), static t => t.GetField("StateMachine", Instance));
        return field?.GetValue(box) as IAsyncStateMachine;
    }

    /// <summary>The <c>IValueTaskSource</c> behind a task made by <c>ValueTask.AsTask()</c>, or null.</summary>
    public static object? GetValueTaskSource(Task task)
    {
        var field = s_sourceField.GetOrAdd(task.GetType(), static t =>
            t.Name.StartsWith("ValueTaskSourceAsTask", StringComparison.Ordinal) ? t.GetField("_source", Instance) : null);
        return field?.GetValue(task);
    }

    /// <summary>The frame for an async method's state machine: <c>DeclaringType.Method</c>, and with its namespace.</summary>
    public static AsyncFrame Frame(Type stateMachineType) => s_frames.GetOrAdd(stateMachineType, static t =>
    {
        var name = ComputeMethodName(t);
        return new AsyncFrame(name, WithNamespace(UserType(t.DeclaringType), name));
    });

    /// <summary>The frame for a delegate (a Task.Run body or a timer callback).</summary>
    public static AsyncFrame Frame(Delegate callback)
    {
        var name = DelegateName(callback);
        return new AsyncFrame(name, WithNamespace(UserType(callback.Method.DeclaringType), name));
    }

    private static string WithNamespace(Type? type, string name) => type?.Namespace is { Length: > 0 } ns ? $"{ns}.{name}" : name;

    /// <summary>The object the suspended state machine awaits: a <see cref="Task"/>, an <c>IValueTaskSource</c>, or null.</summary>
    public static object? GetAwaited(IAsyncStateMachine stateMachine)
    {
        var fields = s_awaiterFields.GetOrAdd(stateMachine.GetType(), static t =>
            [.. t.GetFields(Instance).Where(f => f.Name.StartsWith("<>u__", StringComparison.Ordinal))]);
        foreach (var field in fields)
        {
            var found = FindAwaitable(field.GetValue(stateMachine), 0);
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>Describes an awaited object that is not itself a pending async method (the leaf of an await chain).</summary>
    public static string DescribeLeaf(object? awaited)
    {
        switch (awaited)
        {
            case null:
                return "an awaiter it does not expose (yield, a custom awaitable, or a synchronous block)";
            case SocketAsyncEventArgs args:
                return args.LastOperation switch
                {
                    SocketAsyncOperation.Receive or SocketAsyncOperation.ReceiveFrom or SocketAsyncOperation.ReceiveMessageFrom => "Socket receive",
                    SocketAsyncOperation.Send or SocketAsyncOperation.SendTo or SocketAsyncOperation.SendPackets => "Socket send",
                    SocketAsyncOperation.Accept => "Socket accept",
                    SocketAsyncOperation.Connect => "Socket connect",
                    _ => "Socket operation",
                };
            case Task task:
                return DescribeTask(task);
            default:
                return DescribeSource(awaited.GetType());
        }
    }

    private static string DescribeTask(Task task)
    {
        if (GetStateMachine(task) is { } machine)
        {
            return $"{Frame(machine.GetType()).Name} (an async method started outside this scope)";
        }

        var type = task.GetType();
        var name = type.Name;
        if (name.StartsWith("DelayPromise", StringComparison.Ordinal))
        {
            return "Task.Delay";
        }

        if (name.StartsWith("UnwrapPromise", StringComparison.Ordinal))
        {
            return "Task.Run (async delegate)";
        }

        if (name.StartsWith("WhenAllPromise", StringComparison.Ordinal))
        {
            return "Task.WhenAll";
        }

        if (name.StartsWith("WhenAnyPromise", StringComparison.Ordinal) || name.StartsWith("TwoTaskWhenAnyPromise", StringComparison.Ordinal))
        {
            return "Task.WhenAny";
        }

        if (name.StartsWith("CancellationPromise", StringComparison.Ordinal))
        {
            return "Task.WaitAsync";
        }

        if (RuntimeInternals.GetAction(task) is { } action)
        {
            return $"Task.Run delegate {DelegateName(action)}";
        }

        if (task.AsyncState is SemaphoreSlim)
        {
            return "SemaphoreSlim.WaitAsync";
        }

        return type.IsGenericType ? $"TaskCompletionSource<{string.Join(", ", type.GetGenericArguments().Select(a => a.Name))}>.Task" : "TaskCompletionSource.Task";
    }

    private static string DescribeSource(Type type)
    {
        var full = type.FullName ?? type.Name;
        if (full.StartsWith("System.Threading.Channels.", StringComparison.Ordinal))
        {
            return full.Contains("AsyncOperation", StringComparison.Ordinal) ? "Channel read or write (ChannelReader/ChannelWriter wait)" : "Channel";
        }

        if (full.StartsWith("System.Threading.PeriodicTimer", StringComparison.Ordinal))
        {
            return "PeriodicTimer.WaitForNextTickAsync";
        }

        if (full.StartsWith("System.IO.Pipelines.", StringComparison.Ordinal))
        {
            return "Pipe read or flush";
        }

        if (full.Contains("Socket", StringComparison.Ordinal))
        {
            return "Socket operation";
        }

        return type.Name;
    }

    /// <summary>A readable name for a delegate: <c>Type.Method</c>, with lambdas named after the method that declares them.</summary>
    public static string DelegateName(Delegate callback)
    {
        var method = callback.Method;
        return $"{TypeName(UserType(method.DeclaringType))}.{CleanMember(method.Name)}";
    }

    private static object? FindAwaitable(object? value, int depth)
    {
        if (value is null || depth > MaxAwaiterDepth)
        {
            return null;
        }

        if (value is Task || (depth > 0 && IsValueTaskSource(value.GetType())))
        {
            return value;
        }

        var type = value.GetType();
        if (!type.IsValueType)
        {
            // Awaiters are structs; a reference here is the object the awaiter wraps.
            return depth > 0 ? value : null;
        }

        foreach (var field in s_nestedFields.GetOrAdd(type, static t => t.GetFields(Instance)))
        {
            if (field.FieldType.IsPrimitive)
            {
                continue;
            }

            var found = FindAwaitable(field.GetValue(value), depth + 1);
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    private static bool IsValueTaskSource(Type type) =>
        type.GetInterfaces().Any(i => i.FullName is { } n && n.StartsWith("System.Threading.Tasks.Sources.IValueTaskSource", StringComparison.Ordinal));

    private static string ComputeMethodName(Type stateMachineType)
    {
        // A state machine type is named "<Method>d__N"; for a lambda or local function the part between the
        // outer angle brackets is that member's own generated name ("<Outer>b__0_0", "<Outer>g__Local|0_1").
        var name = stateMachineType.Name;
        var close = name.LastIndexOf('>');
        var member = name.StartsWith('<') && close > 1 ? name[1..close] : name;
        return $"{TypeName(UserType(stateMachineType.DeclaringType))}.{CleanMember(member)}";
    }

    private static Type? UserType(Type? declaring)
    {
        // Lambdas and local functions of closures live in nested compiler types (<>c, <>c__DisplayClass): name the user's type.
        while (declaring is not null && declaring.Name.StartsWith('<') && declaring.DeclaringType is not null)
        {
            declaring = declaring.DeclaringType;
        }

        return declaring;
    }

    private static string CleanMember(string name)
    {
        var local = LocalFunctionPattern().Match(name);
        if (local.Success)
        {
            return $"{Outer(local)}.{local.Groups["name"].Value}";
        }

        var lambda = LambdaPattern().Match(name);
        return lambda.Success ? $"{Outer(lambda)}.lambda" : name;
    }

    private static string Outer(Match match) => match.Groups["outer"].Value.Trim('<', '>', '$');

    private static string TypeName(Type? type)
    {
        if (type is null)
        {
            return "?";
        }

        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick > 0)
        {
            name = name[..tick];
        }

        return type.DeclaringType is { } outer && !outer.Name.StartsWith('<') ? $"{TypeName(outer)}.{name}" : name;
    }

    [GeneratedRegex(@"^<(?<outer>.*?)>g__(?<name>[^|]+)\|")]
    private static partial Regex LocalFunctionPattern();

    [GeneratedRegex(@"^<(?<outer>.*?)>b__")]
    private static partial Regex LambdaPattern();
}

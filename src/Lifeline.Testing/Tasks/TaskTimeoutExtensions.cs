using System.Runtime.CompilerServices;

namespace Lifeline.Testing.Tasks;

/// <summary>
/// <c>.OrTimeout()</c>: a hang guard for awaits in tests. It is not synchronization: it fails a test that would
/// otherwise hang, naming the await that hung. It uses real time (<see cref="TimeProvider.System"/>) by design.
/// </summary>
/// <remarks>
/// On timeout the awaited task keeps running; the test fails with a <see cref="TimeoutException"/> and should
/// then dispose what it started. Thread-safe (stateless).
/// </remarks>
public static class TaskTimeoutExtensions
{
    /// <summary>The timeout used when none is given: 10 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Awaits <paramref name="task"/>, failing with <see cref="TimeoutException"/> if it takes longer than <paramref name="timeout"/>.</summary>
    /// <param name="task">The task to guard.</param>
    /// <param name="timeout">How long to wait; default <see cref="DefaultTimeout"/>.</param>
    /// <param name="memberName">Filled in by the compiler.</param>
    /// <param name="filePath">Filled in by the compiler.</param>
    /// <param name="lineNumber">Filled in by the compiler.</param>
    /// <returns>A task that completes as <paramref name="task"/> does.</returns>
    /// <exception cref="TimeoutException">The task did not complete in time; the message names the caller.</exception>
    public static async Task OrTimeout(
        this Task task,
        TimeSpan? timeout = null,
        [CallerMemberName] string memberName = "",
        [CallerFilePath] string filePath = "",
        [CallerLineNumber] int lineNumber = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        var limit = timeout ?? DefaultTimeout;
        try
        {
            await task.WaitAsync(limit, TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException ex) when (!task.IsCompleted)
        {
            throw Timeout(limit, memberName, filePath, lineNumber, ex);
        }
    }

    /// <summary>Awaits <paramref name="task"/>, failing with <see cref="TimeoutException"/> if it takes longer than <paramref name="timeout"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="task">The task to guard.</param>
    /// <param name="timeout">How long to wait; default <see cref="DefaultTimeout"/>.</param>
    /// <param name="memberName">Filled in by the compiler.</param>
    /// <param name="filePath">Filled in by the compiler.</param>
    /// <param name="lineNumber">Filled in by the compiler.</param>
    /// <returns>The task's result.</returns>
    /// <exception cref="TimeoutException">The task did not complete in time; the message names the caller.</exception>
    public static async Task<T> OrTimeout<T>(
        this Task<T> task,
        TimeSpan? timeout = null,
        [CallerMemberName] string memberName = "",
        [CallerFilePath] string filePath = "",
        [CallerLineNumber] int lineNumber = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        var limit = timeout ?? DefaultTimeout;
        try
        {
            return await task.WaitAsync(limit, TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException ex) when (!task.IsCompleted)
        {
            throw Timeout(limit, memberName, filePath, lineNumber, ex);
        }
    }

    /// <summary>Awaits <paramref name="task"/>, failing with <see cref="TimeoutException"/> if it takes longer than <paramref name="timeout"/>.</summary>
    /// <param name="task">The task to guard.</param>
    /// <param name="timeout">How long to wait; default <see cref="DefaultTimeout"/>.</param>
    /// <param name="memberName">Filled in by the compiler.</param>
    /// <param name="filePath">Filled in by the compiler.</param>
    /// <param name="lineNumber">Filled in by the compiler.</param>
    /// <returns>A task that completes as <paramref name="task"/> does.</returns>
    /// <exception cref="TimeoutException">The task did not complete in time; the message names the caller.</exception>
    public static Task OrTimeout(
        this ValueTask task,
        TimeSpan? timeout = null,
        [CallerMemberName] string memberName = "",
        [CallerFilePath] string filePath = "",
        [CallerLineNumber] int lineNumber = 0)
        => task.AsTask().OrTimeout(timeout, memberName, filePath, lineNumber);

    /// <summary>Awaits <paramref name="task"/>, failing with <see cref="TimeoutException"/> if it takes longer than <paramref name="timeout"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="task">The task to guard.</param>
    /// <param name="timeout">How long to wait; default <see cref="DefaultTimeout"/>.</param>
    /// <param name="memberName">Filled in by the compiler.</param>
    /// <param name="filePath">Filled in by the compiler.</param>
    /// <param name="lineNumber">Filled in by the compiler.</param>
    /// <returns>The task's result.</returns>
    /// <exception cref="TimeoutException">The task did not complete in time; the message names the caller.</exception>
    public static Task<T> OrTimeout<T>(
        this ValueTask<T> task,
        TimeSpan? timeout = null,
        [CallerMemberName] string memberName = "",
        [CallerFilePath] string filePath = "",
        [CallerLineNumber] int lineNumber = 0)
        => task.AsTask().OrTimeout(timeout, memberName, filePath, lineNumber);

    private static TimeoutException Timeout(TimeSpan limit, string memberName, string filePath, int lineNumber, TimeoutException inner)
        => new($"The operation awaited in {memberName} ({filePath}:line {lineNumber}) did not complete within {limit.TotalSeconds:0.###} s.", inner);
}

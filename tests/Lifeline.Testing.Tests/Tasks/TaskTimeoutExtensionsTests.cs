using Lifeline.Testing.Tasks;

namespace Lifeline.Testing.Tests.Tasks;

public class TaskTimeoutExtensionsTests
{
    [Fact]
    public async Task OrTimeout_CompletedTasks_PassResultsAndExceptionsThrough()
    {
        await Task.CompletedTask.OrTimeout();
        Assert.Equal(42, await Task.FromResult(42).OrTimeout());
        await ValueTask.CompletedTask.OrTimeout();
        Assert.Equal("x", await new ValueTask<string>("x").OrTimeout());
        await Assert.ThrowsAsync<InvalidOperationException>(() => Task.FromException(new InvalidOperationException()).OrTimeout());
    }

    [Fact]
    public async Task OrTimeout_TaskThatNeverCompletes_ThrowsNamingTheCaller()
    {
        var never = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => never.Task.OrTimeout(TimeSpan.FromMilliseconds(20)));

        Assert.Contains(nameof(OrTimeout_TaskThatNeverCompletes_ThrowsNamingTheCaller), error.Message, StringComparison.Ordinal);
        Assert.Contains("TaskTimeoutExtensionsTests.cs:line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OrTimeout_ValueTaskThatNeverCompletes_Throws()
    {
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await Assert.ThrowsAsync<TimeoutException>(() => new ValueTask(never.Task).OrTimeout(TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public async Task OrTimeout_TaskThatThrowsTimeoutItself_IsNotRelabelled()
    {
        var inner = new TimeoutException("inner");

        var error = await Assert.ThrowsAsync<TimeoutException>(() => Task.FromException(inner).OrTimeout());

        Assert.Same(inner, error);
    }
}

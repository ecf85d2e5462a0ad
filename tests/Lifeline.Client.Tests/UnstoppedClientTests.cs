using System.Runtime.CompilerServices;
using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Lifeline.Client.Tests;

public class UnstoppedClientTests
{
    [Fact]
    public async Task AClientCollectedWithoutStop_LogsAWarningNamingWhereItWasCreated()
    {
        await using var server = await TestServer.StartAsync();
        server.RejectStatus = 401; // the client faults at once, so nothing of it is left running to keep it alive
        var logs = new FakeLogCollector();

        await StartAndAbandonAsync(server, logs);
        for (var i = 0; i < 20 && !logs.GetSnapshot().Any(e => e.Id.Id == 12); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Yield();
        }

        var warning = Assert.Single(logs.GetSnapshot(), e => e.Id.Id == 12);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("garbage-collected without StopAsync/DisposeAsync", warning.Message, StringComparison.Ordinal);
        Assert.Contains("UnstoppedClientTests.StartAndAbandonAsync", warning.Message, StringComparison.Ordinal);
        Assert.Contains("UnstoppedClientTests.cs:line", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStoppedClient_IsCollectedSilently()
    {
        await using var server = await TestServer.StartAsync();
        var logs = new FakeLogCollector();

        await StartAndStopAsync(server, logs);
        GC.Collect();
        GC.WaitForPendingFinalizers();

        Assert.DoesNotContain(logs.GetSnapshot(), e => e.Id.Id == 12);
        Assert.Contains(logs.GetSnapshot(), e => e.Id.Id == 10); // it did start and stop
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task StartAndAbandonAsync(TestServer server, FakeLogCollector logs)
    {
        var options = TestOptions.For(server.GetUri());
        options.LoggerFactory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        var client = new LifelineClient(options);
        var faulted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Error += (_, e) =>
        {
            if (e.Exception is ClientFaultedException)
            {
                faulted.TrySetResult();
            }
        };
        await client.StartAsync(CancellationToken.None);
        await faulted.Task.OrTimeout(TimeSpan.FromSeconds(30));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task StartAndStopAsync(TestServer server, FakeLogCollector logs)
    {
        var options = TestOptions.For(server.GetUri());
        options.LoggerFactory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        var client = new LifelineClient(options);
        await client.StartAsync(CancellationToken.None);
        await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
    }
}

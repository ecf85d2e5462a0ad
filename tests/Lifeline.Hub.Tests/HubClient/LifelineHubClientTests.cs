using System.Net.WebSockets;
using Lifeline.Client;
using Lifeline.Hub.Client;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using static Lifeline.Hub.Tests.HubClient.HubClientFixtures;

namespace Lifeline.Hub.Tests.HubClient;

public class LifelineHubClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Publish_ReturnsTheAcknowledgedIds_AndASubscriberWithAFilterSeesOnlyMatchingEntries()
    {
        await using var hub = await HubHost.StartAsync();
        await using var client = new LifelineHubClient(Options(hub.BaseUri));
        using var cts = new CancellationTokenSource();

        var filter = new LogFilter { MinLevel = Lifeline.Protocol.LogEntryLevel.Warning, Sources = ["api"], After = 0 };
        var received = new List<LogEntry>();
        var subscription = Task.Run(async () =>
        {
            await foreach (var entry in client.SubscribeAsync(filter, cancellationToken: cts.Token))
            {
                received.Add(entry);
                if (received.Count == 2)
                {
                    return;
                }
            }
        });

        var ack = await client.PublishAsync(
            [
                new LogEntry { Message = "a", Source = "api", Level = Lifeline.Protocol.LogEntryLevel.Information },
                new LogEntry { Message = "b", Source = "api", Level = Lifeline.Protocol.LogEntryLevel.Error },
                new LogEntry { Message = "c", Source = "db", Level = Lifeline.Protocol.LogEntryLevel.Error },
                new LogEntry { Message = "d", Source = "api", Level = Lifeline.Protocol.LogEntryLevel.Warning },
            ],
            CancellationToken.None).OrTimeout(Timeout);

        Assert.Equal(new PublishAck(4, 1, 4), ack);
        await subscription.OrTimeout(Timeout);
        Assert.Equal(["b", "d"], received.Select(e => e.Message));
        Assert.Equal([2L, 4L], received.Select(e => e.Id));
    }

    [Fact]
    public async Task Publish_InvalidEntry_ThrowsRejectedWithItsIndex_NothingStored_ConnectionKeepsWorking()
    {
        await using var hub = await HubHost.StartAsync();
        await using var client = new LifelineHubClient(Options(hub.BaseUri));

        var ex = await Assert.ThrowsAsync<HubPublishRejectedException>(() => client.PublishAsync(
            [new LogEntry { Message = "ok" }, new LogEntry { Message = "bad", Source = new string('s', 300) }],
            CancellationToken.None).OrTimeout(Timeout));
        Assert.Equal(1, ex.Index);
        Assert.Equal(ErrorCodes.InvalidEntry, ex.Error);

        var ack = await client.PublishAsync([new LogEntry { Message = "next" }], CancellationToken.None).OrTimeout(Timeout);
        Assert.Equal(new PublishAck(1, 1, 1), ack);
        Assert.Equal(["next"], (await QueryAllAsync(hub)).Select(e => e.Message));
    }

    [Fact]
    public async Task Publish_LargeBatch_IsSplitIntoMessagesUnderTheLimit_IdsContiguous()
    {
        await using var hub = await HubHost.StartAsync();
        var options = Options(hub.BaseUri);
        options.MaxPublishBytes = 4096;
        await using var client = new LifelineHubClient(options);

        var ack = await client.PublishAsync(Entries(1, 500), CancellationToken.None).OrTimeout(Timeout);

        Assert.Equal(new PublishAck(500, 1, 500), ack);
        Assert.Equal(Entries(1, 500).Select(e => e.Message), (await QueryAllAsync(hub)).Select(e => e.Message));
    }

    [Fact]
    public async Task Publish_AckLostWithItsConnection_RetriedWithTheSameRef_StoredExactlyOnce()
    {
        await using var hub = await HubHost.StartAsync();
        await using var proxy = await StartProxyAsync(hub);
        await using var client = new LifelineHubClient(Options(proxy.GetUri("http")));
        await client.PublishAsync(Entries(1, 1), CancellationToken.None).OrTimeout(Timeout);   // connected

        // The hub stores the batch but its ack never arrives; then the connection dies.
        proxy.SetHalfOpen(Direction.Downstream);
        var dropped = proxy.DroppedBytes;
        var publish = client.PublishAsync(Entries(2, 10), CancellationToken.None);
        await proxy.WaitForDroppedBytesAsync(dropped + 1).OrTimeout(Timeout);   // the ack was swallowed
        Assert.False(publish.IsCompleted);
        var reconnected = proxy.WaitForTotalConnectionsAsync(proxy.TotalConnections + 1);
        proxy.Heal();
        await proxy.CutAllAsync(CutMode.Reset).OrTimeout(Timeout);
        await reconnected.OrTimeout(Timeout);

        var ack = await publish.OrTimeout(Timeout);

        Assert.Equal(new PublishAck(10, 2, 11), ack);   // the first ack, replayed
        Assert.Equal(Entries(1, 11).Select(e => e.Message), (await QueryAllAsync(hub)).Select(e => e.Message));
    }

    [Fact]
    public async Task Subscribe_WithoutAKey_OnAnAuthenticatedHub_EndsWithHubConnectionException()
    {
        await using var hub = await HubHost.StartAsync(o => o.RequireAuthentication = true);
        await using var client = new LifelineHubClient(Options(hub.BaseUri));

        var ex = await Assert.ThrowsAsync<HubConnectionException>(async () =>
        {
            await foreach (var entry in client.SubscribeAsync(LogFilter.All))
            {
                Assert.Fail("no entry expected");
            }
        }).OrTimeout(Timeout);
        Assert.NotNull(ex.Message);
    }

    [Fact]
    public async Task Publish_UnknownKey_FailsWithHubConnectionException_ThenSucceedsOnceTheKeyIsValid()
    {
        var dir = Directory.CreateTempSubdirectory("lifeline-keys-");
        try
        {
            var keys = Path.Combine(dir.FullName, "keys.json");
            await File.WriteAllTextAsync(keys, """{"keys":[{"id":"admin","key":"admin-secret","scopes":["admin"]}]}""");
            var time = new Lifeline.Testing.Time.ManualTimeProvider();
            await using var hub = await HubHost.StartAsync(o =>
            {
                o.RequireAuthentication = true;
                o.KeysFile = keys;
                o.TimeProvider = time;
            });
            var options = Options(hub.BaseUri);
            options.ApiKey = "late-secret";
            await using var client = new LifelineHubClient(options);

            var ex = await Assert.ThrowsAsync<HubConnectionException>(() => client.PublishAsync(Entries(1, 1), CancellationToken.None).OrTimeout(Timeout));
            Assert.Contains("401", ex.ToString(), StringComparison.Ordinal);

            // The key appears; the hub reloads its keys file on its (manual) clock. Each further publish is a new attempt.
            await File.WriteAllTextAsync(keys, """{"keys":[{"id":"admin","key":"admin-secret","scopes":["admin"]},{"id":"late","key":"late-secret","scopes":["write"]}]}""");
            PublishAck? ack = null;
            for (var attempt = 0; attempt < 100 && ack is null; attempt++)
            {
                time.Advance(TimeSpan.FromSeconds(2));
                try
                {
                    ack = await client.PublishAsync(Entries(2, 1), CancellationToken.None).OrTimeout(Timeout);
                }
                catch (HubConnectionException)
                {
                    // The reload has not run yet: try again after the next reload tick.
                }
            }

            Assert.Equal(new PublishAck(1, 1, 1), ack);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Subscribe_HubShutsDown_ClosesWith1001_ClientHonoursIt_AndDoesNotThrow()
    {
        var hub = await HubHost.StartAsync(o => o.ReconnectJitter = (TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20)));
        await using var client = new LifelineHubClient(Options(hub.BaseUri));
        using var cts = new CancellationTokenSource();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = Task.Run(async () =>
        {
            await foreach (var entry in client.SubscribeAsync(new LogFilter { After = 0 }, cancellationToken: cts.Token))
            {
                first.TrySetResult();
            }
        });
        await hub.PostManyAsync(1);
        await first.Task.OrTimeout(Timeout);

        await hub.DisposeAsync();   // the hub closes the stream with 1001 + resumeAfter + retryAfterMs: the client retries, not fails
        Assert.False(subscription.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => subscription.OrTimeout(Timeout));
    }

    [Theory]
    [InlineData(1001, """{"resumeAfter":42,"retryAfterMs":1350}""", 1350)]
    [InlineData(4008, """{"resumeAfter":42}""", 0)]
    [InlineData(1011, null, 777)]
    [InlineData(null, null, 777)]
    public void ReconnectDelay_HonoursTheHubsCloseReason(int? code, string? reason, int expectedMs)
    {
        // ReconnectContext is built by Lifeline.Client only; construct one as the client would.
        var context = (ReconnectContext)Activator.CreateInstance(
            typeof(ReconnectContext),
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic,
            binder: null,
            args: [1, TimeSpan.FromMilliseconds(777), TimeSpan.Zero, (DisconnectReason?)DisconnectReason.ByServer, (WebSocketCloseStatus?)code, reason, null],
            culture: null)!;

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), LifelineHubClient.ReconnectDelay(context));
    }

    [Fact]
    public void IsFatalClose_FollowsTheProtocolsRetryRules() =>
        Assert.Multiple(
            () => Assert.True(LifelineHubClient.IsFatalClose((WebSocketCloseStatus)4401, null)),
            () => Assert.False(LifelineHubClient.IsFatalClose((WebSocketCloseStatus)4008, null)),
            () => Assert.False(LifelineHubClient.IsFatalClose(WebSocketCloseStatus.EndpointUnavailable, null)));
}

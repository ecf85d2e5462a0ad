using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Streaming;

public class StreamTests
{
    [Fact]
    public async Task Subscribe_WithoutAfter_GetsHelloLiveThenPublishedEntries()
    {
        await using var hub = await HubHost.StartAsync();
        await hub.PostManyAsync(3);
        await using var sub = await hub.SubscribeAsync();

        var hello = Assert.IsType<HelloMessage>(await sub.ReceiveAsync());
        Assert.Equal(1, hello.Protocol);
        Assert.Equal(3, hello.LastId);
        Assert.Equal(30_000, hello.HeartbeatMs);
        Assert.Equal(3, Assert.IsType<LiveMessage>(await sub.ReceiveAsync()).LastId);

        var result = await hub.PostManyAsync(2, first: 4);
        Assert.Equal(new PublishResult(2, 4, 5), result);
        await sub.ReceiveEntriesAsync(2);
        Assert.Equal([4L, 5L], sub.Entries.Select(e => e.Id));
        Assert.Equal(["m4", "m5"], sub.Entries.Select(e => e.Message));
    }

    [Fact]
    public async Task Subscribe_WithFilter_GetsOnlyMatchingEntries()
    {
        await using var hub = await HubHost.StartAsync();
        await using var sub = await hub.SubscribeAsync("level=warning&source=api&source=db&contains=SLOW");
        await sub.ReceiveUntilAsync<LiveMessage>();

        await hub.PostAsync(
            new LogEntry { Message = "slow query", Level = LogEntryLevel.Warning, Source = "api" },
            new LogEntry { Message = "slow query", Level = LogEntryLevel.Information, Source = "api" },
            new LogEntry { Message = "slow query", Level = LogEntryLevel.Error, Source = "web" },
            new LogEntry { Message = "fast", Level = LogEntryLevel.Error, Source = "db" },
            new LogEntry { Message = "very Slow disk", Level = LogEntryLevel.Critical, Source = "db" });

        await sub.ReceiveEntriesAsync(2);
        Assert.Equal([1L, 5L], sub.Entries.Select(e => e.Id));
    }

    [Fact]
    public async Task Resume_AfterN_GetsEveryLaterEntryOnceInOrder_AcrossTheSeam()
    {
        await using var hub = await HubHost.StartAsync(o => o.MaxFrameBytes = 1024);
        await hub.PostManyAsync(5_000);

        // Publish concurrently while the subscriber catches up: the seam between store and live must be exact.
        await using var sub = await hub.SubscribeAsync("after=1234");
        var publishing = Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                await hub.PostManyAsync(100, first: 5_001 + (i * 100));
            }
        });

        var hello = Assert.IsType<HelloMessage>(await sub.ReceiveAsync());
        Assert.True(hello.LastId >= 5_000);
        await sub.ReceiveEntriesAsync(10_000 - 1_234);
        await publishing;

        Assert.Equal(Enumerable.Range(1_235, 10_000 - 1_234).Select(i => (long)i), sub.Entries.Select(e => e.Id));
        Assert.Equal(Enumerable.Range(1_235, 10_000 - 1_234).Select(i => $"m{i}"), sub.Entries.Select(e => e.Message));
        Assert.Single(sub.Messages.OfType<LiveMessage>());
        Assert.Empty(sub.Messages.OfType<GapMessage>());
    }

    [Fact]
    public async Task Resume_BeforeRetainedHistory_GetsExactGapFirst()
    {
        await using var hub = await HubHost.StartAsync(o => o.MemoryMaxEntries = 100);
        await hub.PostManyAsync(250);

        await using var sub = await hub.SubscribeAsync("after=10");
        Assert.IsType<HelloMessage>(await sub.ReceiveAsync());
        var gap = Assert.IsType<GapMessage>(await sub.ReceiveAsync());
        Assert.Equal(new GapMessage(11, 150, GapReasons.Retention), gap);
        await sub.ReceiveEntriesAsync(100);
        Assert.Equal(Enumerable.Range(151, 100).Select(i => (long)i), sub.Entries.Select(e => e.Id));
        Assert.IsType<LiveMessage>(await sub.ReceiveAsync());
    }
}

public class StreamCloseTests
{
    [Fact]
    public async Task ClientClose_AfterCatchUpAndLive_CompletesTheCloseHandshake()
    {
        await using var hub = await HubHost.StartAsync();
        await hub.PostManyAsync(60);
        for (var round = 0; round < 20; round++)
        {
            await using var sub = await hub.SubscribeAsync($"after={round}&clientId=c");
            await sub.ReceiveUntilAsync<LiveMessage>();
            Assert.Equal(60 - round, sub.Entries.Count);
            await sub.CloseAsync();
            Assert.Equal(System.Net.WebSockets.WebSocketState.Closed, sub.Socket.State);
        }
    }
}

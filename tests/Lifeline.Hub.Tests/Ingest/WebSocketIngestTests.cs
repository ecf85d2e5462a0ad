using System.Net.WebSockets;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Ingest;

public class WebSocketIngestTests
{
    [Fact]
    public async Task Publish_IsAckedInOrder_WithIds_OnceStored()
    {
        await using var hub = await HubHost.StartAsync();
        await using var pub = await TestPublisher.ConnectAsync(hub);
        for (var i = 0; i < 20; i++)
        {
            await pub.PublishAsync($"r{i}", new LogEntry { Message = $"a{i}" }, new LogEntry { Message = $"b{i}" });
        }

        for (var i = 0; i < 20; i++)
        {
            var ack = Assert.IsType<AckMessage>(await pub.ReceiveAsync());
            Assert.Equal(new AckMessage($"r{i}", 2, (i * 2) + 1, (i * 2) + 2), ack);
        }

        var page = HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync("v1/logs?after=38"));
        Assert.Equal(["a19", "b19"], page.Entries.Select(e => e.Message));
    }

    [Fact]
    public async Task Publish_InvalidEntry_GetsErrorWithRef_StoresNothing_AndSocketStaysOpen()
    {
        await using var hub = await HubHost.StartAsync();
        await using var pub = await TestPublisher.ConnectAsync(hub);
        await pub.SendTextAsync("""{"type":"publish","ref":"9","entries":[{"message":"ok"},{"level":"info"}]}""");
        var error = Assert.IsType<ErrorMessage>(await pub.ReceiveAsync());
        Assert.Equal("9", error.Ref);
        Assert.Equal(ErrorCodes.InvalidEntry, error.Error);
        Assert.Equal(1, error.Index);

        await pub.PublishAsync("10", new LogEntry { Message = "after" });
        Assert.Equal(new AckMessage("10", 1, 1, 1), await pub.ReceiveAsync());
    }

    [Fact]
    public async Task Publish_RepeatedRefOfSameClientId_OnAnotherConnection_IsStoredOnce()
    {
        await using var hub = await HubHost.StartAsync();
        await using (var first = await TestPublisher.ConnectAsync(hub, "clientId=svc-1"))
        {
            await first.PublishAsync("42", new LogEntry { Message = "x" }, new LogEntry { Message = "y" });
            Assert.Equal(new AckMessage("42", 2, 1, 2), await first.ReceiveAsync());
        }

        await using var second = await TestPublisher.ConnectAsync(hub, "clientId=svc-1");
        await second.PublishAsync("42", new LogEntry { Message = "x" }, new LogEntry { Message = "y" });
        Assert.Equal(new AckMessage("42", 2, 1, 2), await second.ReceiveAsync());
        await second.PublishAsync("43", new LogEntry { Message = "z" });
        Assert.Equal(new AckMessage("43", 1, 3, 3), await second.ReceiveAsync());

        // Another client's ref 42 is its own.
        await using var other = await TestPublisher.ConnectAsync(hub, "clientId=svc-2");
        await other.PublishAsync("42", new LogEntry { Message = "w" });
        Assert.Equal(new AckMessage("42", 1, 4, 4), await other.ReceiveAsync());
    }

    [Fact]
    public async Task Publish_IsDeliveredToSubscribers()
    {
        await using var hub = await HubHost.StartAsync();
        await using var sub = await hub.SubscribeAsync();
        await sub.ReceiveUntilAsync<LiveMessage>();
        await using var pub = await TestPublisher.ConnectAsync(hub);
        await pub.PublishAsync("1", new LogEntry { Message = "hello", Source = "ws", Level = LogEntryLevel.Error });
        await sub.ReceiveEntriesAsync(1);
        Assert.Equal("hello", sub.Entries[0].Message);
        Assert.Equal(LogEntryLevel.Error, sub.Entries[0].Level);
        Assert.Equal(WebSocketState.Open, pub.Socket.State);
    }
}

using System.Net.WebSockets;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Streaming;

/// <summary>What an open connection holds while nothing arrives (docs/hub.md, "Memory per idle subscriber").</summary>
public class IdleConnectionTests
{
    [Fact]
    public async Task IdleStream_HoldsNoReceiveBuffer_AndStillRejectsData()
    {
        await using var hub = await HubHost.StartAsync();
        await using var sub = await hub.SubscribeAsync();
        await sub.ReceiveUntilAsync<LiveMessage>();

        // The receive loop waits with a zero-byte receive: no buffer until a data frame starts.
        var connection = Assert.Single(hub.Core().Connections.Connections);
        Assert.Equal(0, connection.ReceiveBufferBytes);

        // A data frame still gets the stream's close code once it has been read (a buffer is rented for it).
        await sub.Socket.SendAsync(new byte[300], WebSocketMessageType.Binary, true, CancellationToken.None).OrTimeout();
        Assert.Equal(CloseCodes.InvalidMessage, (int)(await sub.ReceiveCloseAsync()).Status!);
    }

    [Theory]
    [InlineData("")]
    [InlineData("after=0")]
    public async Task UnfilteredStream_HoldsTheSharedAllFilter(string query)
    {
        await using var hub = await HubHost.StartAsync();
        await using var sub = await hub.SubscribeAsync(query);
        await sub.ReceiveUntilAsync<LiveMessage>();

        var subscriber = Assert.IsType<Lifeline.Hub.Streaming.Subscriber>(Assert.Single(hub.Core().Connections.Connections));
        Assert.Same(LogFilter.All, subscriber.Filter);
        Assert.Same(LogFilter.All, LogFilter.Parse(query).WithAfter(null));
    }

    [Fact]
    public async Task Publisher_BufferRentedPerMessage_LargeAndSmallMessagesInTurn_AreAllAckedAndStored()
    {
        // Regression guard for the per-message buffer: a message larger than the first rent grows it, the next one
        // rents again (at the grown size), and a small one after a large one must not see stale bytes.
        await using var hub = await HubHost.StartAsync();
        await using var pub = await TestPublisher.ConnectAsync(hub);
        var messages = new[] { new string('a', 20_000), "b", new string('c', 60_000), "d", new string('e', 5_000) };
        for (var i = 0; i < messages.Length; i++)
        {
            await pub.PublishAsync($"r{i}", new LogEntry { Message = messages[i] });
            Assert.Equal(new AckMessage($"r{i}", 1, i + 1, i + 1), await pub.ReceiveAsync());
        }

        var page = HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync("v1/logs?limit=10"));
        Assert.Equal(messages, page.Entries.Select(e => e.Message));
    }
}

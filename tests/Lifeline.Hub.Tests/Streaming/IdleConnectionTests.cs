using System.Net.WebSockets;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

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

    [Fact]
    public async Task HeartbeatRound_WakesSubscribersInSlices_AndReachesEveryOne()
    {
        // The heartbeat loop wakes 16 subscribers, pauses 1 ms (so their sends run before more are woken: send bursts
        // would leave Kestrel's block pool a block per subscriber larger), then the next 16. All must get one.
        var time = new ManualTimeProvider();
        await using var hub = await HubHost.StartAsync(o => o.TimeProvider = time);
        var subs = new List<TestSubscriber>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var sub = await hub.SubscribeAsync();
                subs.Add(sub);
                await sub.ReceiveUntilAsync<LiveMessage>();
            }

            await time.WaitForTimersAsync(1).OrTimeout();
            var armed = time.ActiveTimerCount;   // the heartbeat timer (periodic: it stays armed) and any others
            time.Advance(TimeSpan.FromSeconds(30));
            await time.WaitForTimersAsync(armed + 1).OrTimeout();   // the pause after the first slice
            time.Advance(TimeSpan.FromMilliseconds(1));
            foreach (var sub in subs)
            {
                Assert.Equal(0, (await sub.ReceiveUntilAsync<HeartbeatMessage>()).LastId);
            }
        }
        finally
        {
            foreach (var sub in subs)
            {
                await sub.DisposeAsync();
            }
        }
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

using System.Net.WebSockets;
using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Client.Tests;

/// <summary>Thread-safe sends, the bounded buffer with its overflow policies, TTL and per-message outcomes, and the
/// flush that waits for OnConnected.</summary>
public class SendTests
{
    [Fact]
    public async Task SendAsync_FromManyThreads_DeliversEverything_InEachSendersOrder()
    {
        await using var server = await TestServer.StartAsync();
        server.Echo = false;
        await using var client = new LifelineClient(TestOptions.For(server.GetUri()));
        await client.StartAsync(CancellationToken.None);
        await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        var serverSide = await server.NextConnectionAsync().OrTimeout();

        var senders = Enumerable.Range(0, 8).Select(s => Task.Run(async () =>
        {
            var results = new List<SendResult>();
            for (var i = 0; i < 50; i++)
            {
                results.Add(await client.SendAsync($"{s}:{i}", CancellationToken.None));
            }

            return results;
        })).ToArray();
        var all = (await Task.WhenAll(senders).OrTimeout(TimeSpan.FromSeconds(30))).SelectMany(r => r).ToList();
        var received = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            received.Add(await serverSide.Received.ReadAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));
        }

        Assert.All(all, r => Assert.Equal(SendResult.Sent, r));
        foreach (var group in received.GroupBy(m => m.Split(':')[0]))
        {
            Assert.Equal(Enumerable.Range(0, 50), group.Select(m => int.Parse(m.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.Equal(400, client.GetSnapshot().MessagesSent);
    }

    [Fact]
    public async Task SendsWhileDisconnected_AreFlushedInOrder_OnlyAfterOnConnectedHasFinished()
    {
        await using var server = await TestServer.StartAsync();
        server.Echo = false;
        var options = TestOptions.For(server.GetUri(), out var time);
        var hookCalls = 0;
        var inHook = new TaskCompletionSource<ClientState>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        options.OnConnected = async (c, ct) =>
        {
            if (Interlocked.Increment(ref hookCalls) == 1)
            {
                return;
            }

            // Re-subscribe: goes out at once, ahead of the buffer, while the hook still runs.
            Assert.Equal(SendResult.Sent, await c.SendAsync("subscribe", ct));
            inHook.TrySetResult(c.State);
            await gate.Task.WaitAsync(ct);
        };
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        var first = await server.NextConnectionAsync().OrTimeout(TimeSpan.FromSeconds(30));
        await events.ConnectedAsync();
        await first.CloseAsync(WebSocketCloseStatus.InternalServerError);
        var reconnecting = await events.ReconnectingAsync();

        var sends = Enumerable.Range(0, 5).Select(i => client.SendAsync($"m{i}", CancellationToken.None).AsTask()).ToArray();
        Assert.Equal(5, client.GetSnapshot().BufferedSends);
        time.Advance(reconnecting.Delay);
        var stateInHook = await inHook.Task.OrTimeout(TimeSpan.FromSeconds(30));
        var second = await server.NextConnectionAsync().OrTimeout();
        Assert.Equal("subscribe", await second.Received.ReadAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal(5, client.GetSnapshot().BufferedSends);     // nothing flushed while the hook runs
        Assert.All(sends, s => Assert.False(s.IsCompleted));
        gate.SetResult();

        var flushed = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            flushed.Add(await second.Received.ReadAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));
        }

        Assert.Equal(ClientState.Connecting, stateInHook);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], flushed);
        Assert.All(await Task.WhenAll(sends).OrTimeout(), r => Assert.Equal(SendResult.Sent, r));
    }

    [Fact]
    public async Task FullBuffer_WithFailPolicy_DropsTheNewMessage_AndCountsIt()
    {
        await using var hanging = HangingServer.Start();
        var options = TestOptions.For(hanging.Uri);
        options.SendBuffer = new SendBufferOptions { Capacity = 2, OverflowPolicy = SendOverflowPolicy.Fail };
        var client = new LifelineClient(options);
        await client.StartAsync(CancellationToken.None);

        var a = client.SendAsync("a", CancellationToken.None).AsTask();
        var b = client.SendAsync("b", CancellationToken.None).AsTask();
        var c = await client.SendAsync("c", CancellationToken.None).OrTimeout();

        Assert.Equal(new SendResult(SendStatus.Dropped, "send buffer full (2 messages)"), c);
        Assert.False(a.IsCompleted);
        Assert.Equal(1, client.GetSnapshot().SendsDropped);
        Assert.Equal(2, client.GetSnapshot().BufferedSends);
        var report = await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(2, report.AbandonedSends);
        Assert.Equal(SendStatus.Failed, (await b.OrTimeout()).Status);
    }

    [Fact]
    public async Task FullBuffer_WithDropOldestPolicy_EvictsTheOldest_AndSendsTheRestInOrder()
    {
        await using var server = await TestServer.StartAsync();
        server.Echo = false;
        server.RejectStatus = 503;
        var options = TestOptions.For(server.GetUri(), out var time);
        options.SendBuffer = new SendBufferOptions { Capacity = 2, OverflowPolicy = SendOverflowPolicy.DropOldest };
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        var reconnecting = await events.ReconnectingAsync();

        var sends = new[] { "a", "b", "c" }.Select(m => client.SendAsync(m, CancellationToken.None).AsTask()).ToArray();
        var evicted = await sends[0].OrTimeout();
        server.RejectStatus = 0;
        time.Advance(reconnecting.Delay);
        var serverSide = await server.NextConnectionAsync().OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(SendStatus.Dropped, evicted.Status);
        Assert.StartsWith("evicted by a newer message", evicted.Reason, StringComparison.Ordinal);
        Assert.Equal("b", await serverSide.Received.ReadAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal("c", await serverSide.Received.ReadAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal(SendResult.Sent, await sends[2].OrTimeout());
        Assert.Equal(1, client.GetSnapshot().SendsDropped);
    }

    [Fact]
    public async Task FullBuffer_WithWaitPolicy_WaitsForRoom_AndHonoursTheToken()
    {
        await using var server = await TestServer.StartAsync();
        server.Echo = false;
        server.RejectStatus = 503;
        var options = TestOptions.For(server.GetUri(), out var time);
        options.SendBuffer = new SendBufferOptions { Capacity = 1, OverflowPolicy = SendOverflowPolicy.Wait };
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        var reconnecting = await events.ReconnectingAsync();

        var a = client.SendAsync("a", CancellationToken.None).AsTask();
        var b = client.SendAsync("b", CancellationToken.None).AsTask();
        using var cts = new CancellationTokenSource();
        var c = client.SendAsync("c", cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c.OrTimeout());
        Assert.False(b.IsCompleted);                               // waiting for room, not dropped
        server.RejectStatus = 0;
        time.Advance(reconnecting.Delay);
        var serverSide = await server.NextConnectionAsync().OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal("a", await serverSide.Received.ReadAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal("b", await serverSide.Received.ReadAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal(SendResult.Sent, await b.OrTimeout());
        Assert.Equal(0, client.GetSnapshot().SendsDropped);
    }

    [Fact]
    public async Task BufferedMessage_OlderThanItsTimeToLive_Expires_InsteadOfBeingSent()
    {
        await using var server = await TestServer.StartAsync();
        server.Echo = false;
        server.RejectStatus = 503;
        var options = TestOptions.For(server.GetUri(), out var time);
        options.SendBuffer = new SendBufferOptions { TimeToLive = TimeSpan.FromSeconds(5) };
        options.Reconnect.Policy = _ => TimeSpan.FromHours(1);
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        await events.ReconnectingAsync();

        var old = client.SendAsync("old", CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromSeconds(6));
        var fresh = client.SendAsync("fresh", CancellationToken.None).AsTask();
        server.RejectStatus = 0;
        client.ReconnectNow();
        var serverSide = await server.NextConnectionAsync().OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(new SendResult(SendStatus.Expired, "waited longer than the time to live (00:00:05)"), await old.OrTimeout());
        Assert.Equal(SendResult.Sent, await fresh.OrTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal("fresh", await serverSide.Received.ReadAsync().AsTask().OrTimeout());
        Assert.Equal(1, client.GetSnapshot().SendsExpired);
    }

    [Fact]
    public async Task CancellingABufferedSend_RemovesIt_AndTooLargeMessagesFailAtOnce()
    {
        await using var hanging = HangingServer.Start();
        var options = TestOptions.For(hanging.Uri);
        options.MaxMessageBytes = 10;
        await using var client = new LifelineClient(options);
        await client.StartAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();

        var pending = client.SendAsync("small", cts.Token).AsTask();
        await cts.CancelAsync();
        var tooLarge = await client.SendAsync("this is more than ten bytes", CancellationToken.None).OrTimeout();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.OrTimeout());
        Assert.Equal(0, client.GetSnapshot().BufferedSends);
        Assert.Equal(SendStatus.Failed, tooLarge.Status);
        Assert.Contains("exceeds MaxMessageBytes (10)", tooLarge.Reason, StringComparison.Ordinal);
    }
}

using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Lifeline.Hub.Core;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Hub.Tests.Streaming;

/// <summary>
/// Issue 11 point 3: a subscriber whose socket takes in no bytes is aborted within KeepAliveInterval + KeepAliveTimeout
/// whatever the traffic, counted as an abnormal disconnect, and released. Before the fix, at 2,000 entries/s such
/// subscribers stayed registered for good: the hub's send to them waited for ever (on lean streams even after the
/// WebSocket's ping deadline had aborted the socket, because aborting did not end that wait), so the stream never
/// left the fan-out. Traffic here is steady publishing while the test drives the hub's clock.
/// </summary>
public class DeadSubscriberTests
{
    private static readonly TimeSpan KeepAliveBound = TimeSpan.FromSeconds(15 + 30);   // the defaults

    public enum DeadKind
    {
        /// <summary>The client stops reading (and still sends unsolicited pongs every second, so the hub's pings never start).</summary>
        StopsReading,

        /// <summary>Behind a FaultProxy that went half-open both ways and stalls: the hub's bytes back up, as on a dead network.</summary>
        HalfOpenStalled,
    }

    [Theory]
    [InlineData(DeadKind.StopsReading)]
    [InlineData(DeadKind.HalfOpenStalled)]
    public async Task DeadSubscriber_UnderSteadyTraffic_IsAbortedAtTheSendDeadline_AsAnAbnormalDisconnect_AndReleased(DeadKind kind)
    {
        var time = new ManualTimeProvider();
        await using var hub = await StartAsync(o => o.TimeProvider = time);
        await using var proxy = await FaultProxy.StartAsync(new IPEndPoint(IPAddress.Loopback, hub.BaseUri.Port));
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(1);
        await socket.ConnectAsync(kind == DeadKind.HalfOpenStalled ? proxy.GetUri("ws", "/v1/stream") : hub.WsUri("v1/stream"), CancellationToken.None).OrTimeout();
        await using var sub = new TestSubscriber(socket);
        await sub.ReceiveUntilAsync<LiveMessage>();
        var released = Registered(hub, out var subscriber);
        var armedBefore = time.ActiveTimerCount;
        if (kind == DeadKind.HalfOpenStalled)
        {
            proxy.SetHalfOpen(Direction.Both, HalfOpenMode.Stall);
        }

        // From here the client reads nothing. Traffic goes on all along, until the test ends.
        await using var traffic = SteadyTraffic.Start(hub);
        var evicted = hub.WaitForConnectionsAsync(0);
        for (var round = 1; ; round++)
        {
            // A send to the subscriber waits for it: its deadline is armed (the one more timer on the hub's clock).
            await time.WaitForTimersAsync(armedBefore + 1).OrTimeout(TimeSpan.FromSeconds(30));
            time.Advance(KeepAliveBound - TimeSpan.FromTicks(1));
            if (round == 1)
            {
                // Not before the bound (later rounds only happen if a waiting send completed after all, arming anew).
                Assert.False(subscriber.SendDeadlinePassed);
            }

            time.Advance(TimeSpan.FromTicks(1));
            if (subscriber.SendDeadlinePassed)
            {
                break;
            }

            Assert.True(round < 10, "the send deadline never passed");
        }

        await evicted;
        Assert.Contains(hub.Logs.GetSnapshot(), l => l.Id.Id == 23);
        Assert.Empty(hub.Core().Subscribers);
        await traffic.StopAsync();
        var stats = await hub.StatsAsync();
        Assert.Equal(0, stats.GetProperty("subscribers").GetInt32());
        Assert.Equal(1, stats.GetProperty("abnormalDisconnects").GetInt64());

        subscriber = null!;
        AssertCollected(released);
        await proxy.CutAllAsync(CutMode.Reset).OrTimeout();
    }

    [Theory]
    [InlineData(HalfOpenMode.Stall)]
    [InlineData(HalfOpenMode.Discard)]
    public async Task DeadSubscriber_UnderSteadyTraffic_IsAbortedByThePingDeadline(HalfOpenMode mode)
    {
        // The WebSocket's own ping deadline (the runtime's timers, real time: short here) with the hub's clock standing
        // still, so the send deadline cannot be what aborts. Stall: the hub's sends to the subscriber are stuck first
        // (its queue overflowed) while the client's pongs still arrive (so the hub does not ping yet); then the network
        // dies both ways. Before the fix the ping deadline aborted the WebSocket but the stuck send waited on, and the
        // stream stayed registered. Discard: the hub's bytes are swallowed, its sends keep completing, and only the
        // missing pongs tell (this case held before the fix too; it guards the ping path under traffic).
        var time = new ManualTimeProvider();
        await using var hub = await StartAsync(o =>
        {
            o.TimeProvider = time;
            o.KeepAliveInterval = TimeSpan.FromSeconds(1);
            o.KeepAliveTimeout = TimeSpan.FromSeconds(1);
        });
        await using var proxy = await FaultProxy.StartAsync(new IPEndPoint(IPAddress.Loopback, hub.BaseUri.Port));
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
        await socket.ConnectAsync(proxy.GetUri("ws", "/v1/stream"), CancellationToken.None).OrTimeout();
        var sub = new TestSubscriber(socket);
        await sub.ReceiveUntilAsync<LiveMessage>();
        await using var traffic = SteadyTraffic.Start(hub);
        var evicted = hub.WaitForConnectionsAsync(0);
        if (mode == HalfOpenMode.Stall)
        {
            // (A ping deadline that passes first, if the client's pongs run late, must evict just the same.)
            proxy.SetHalfOpen(Direction.Downstream, HalfOpenMode.Stall);
            await Task.WhenAny(traffic.Overflowed, evicted).OrTimeout(TimeSpan.FromSeconds(30));
        }

        proxy.SetHalfOpen(Direction.Both, mode);
        await evicted;
        await traffic.StopAsync();
        Assert.Empty(hub.Core().Subscribers);
        Assert.Equal(1, (await hub.StatsAsync()).GetProperty("abnormalDisconnects").GetInt64());
        socket.Abort();
        await proxy.CutAllAsync(CutMode.Reset).OrTimeout();
    }

    /// <summary>Small frames and queues (so a dead reader also overflows and is switched to catch-up), a bounded store.</summary>
    private static Task<HubHost> StartAsync(Action<HubOptions> more) => HubHost.StartAsync(o =>
    {
        o.MaxFrameBytes = 16 << 10;
        o.SubscriberQueueBytes = 64 << 10;
        o.MemoryMaxEntries = 20_000;
        more(o);
    });

    /// <summary>The one open stream, and a weak reference to it (not inlined: no strong reference may stay on this frame).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Registered(HubHost hub, out Lifeline.Hub.Streaming.Subscriber subscriber)
    {
        subscriber = Assert.IsType<Lifeline.Hub.Streaming.Subscriber>(Assert.Single(hub.Core().Connections.Connections));
        return new WeakReference(subscriber);
    }

    private static void AssertCollected(WeakReference reference)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(reference.IsAlive, "the aborted subscriber is still referenced");
    }

    /// <summary>Publishes batches of 100 entries of about 600 bytes, one after another, until stopped.</summary>
    private sealed class SteadyTraffic : IAsyncDisposable
    {
        private static readonly string Padding = new('p', 560);
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource _overflowed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task _run = Task.CompletedTask;

        public static SteadyTraffic Start(HubHost hub)
        {
            var traffic = new SteadyTraffic();
            traffic._run = traffic.RunAsync(hub);
            return traffic;
        }

        /// <summary>Completes once a batch, when acknowledged, had overflowed a subscriber's queue (its sends are stuck).</summary>
        public Task Overflowed => _overflowed.Task;

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _run.OrTimeout(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }

        private async Task RunAsync(HubHost hub)
        {
            await Task.Yield();
            for (var n = 0; !_stop.IsCancellationRequested; n += 100)
            {
                await hub.PostAsync([.. Enumerable.Range(n, 100).Select(i => new LogEntry { Message = $"m{i} {Padding}" })]);
                if (hub.Core().Metrics.OverflowTotal > 0)
                {
                    _overflowed.TrySetResult();
                }
            }
        }
    }
}

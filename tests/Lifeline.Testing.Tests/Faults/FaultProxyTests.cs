using System.Net;
using System.Net.Sockets;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Testing.Tests.Faults;

public class FaultProxyTests
{
    [Fact]
    public async Task BytesFlowBothWays_AndConnectionsAreCounted()
    {
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint);
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            await client.SendTextAsync("ping");
            Assert.Equal("ping", await server.ReadTextAsync(4));
            await server.SendTextAsync("pong");
            Assert.Equal("pong", await client.ReadTextAsync(4));

            await proxy.WaitForConnectionsAsync(1).OrTimeout();
            Assert.Equal(1, proxy.ActiveConnections);
            Assert.Equal(1, proxy.TotalConnections);
            Assert.Equal(IPAddress.Loopback, proxy.EndPoint.Address);
            Assert.NotEqual(0, proxy.EndPoint.Port);
            Assert.Equal($"ws://127.0.0.1:{proxy.EndPoint.Port}/stream", proxy.GetUri("ws", "/stream").ToString());
        }
    }

    [Fact]
    public async Task ClientCloses_UpstreamSeesEndOfStream_AndTheConnectionEnds()
    {
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint);
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        await proxy.WaitForConnectionsAsync(1).OrTimeout();
        var connectionTask = proxy.GetTrackedTasks()[0];
        using (server)
        {
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(SocketError.Disconnecting, await server.ReceiveErrorAsync());
            server.Shutdown(SocketShutdown.Send);
            Assert.Equal(SocketError.Disconnecting, await client.ReceiveErrorAsync());
            client.Dispose();
        }

        await connectionTask.OrTimeout();
        Assert.Equal(0, proxy.ActiveConnections);
    }

    [Fact]
    public async Task CutAllAsync_Reset_BothPeersSeeAReset()
    {
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint);
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            await proxy.WaitForConnectionsAsync(1).OrTimeout();

            await proxy.CutAllAsync(CutMode.Reset).OrTimeout();

            Assert.Equal(SocketError.ConnectionReset, await client.ReceiveErrorAsync());
            Assert.Equal(SocketError.ConnectionReset, await server.ReceiveErrorAsync());
            Assert.Equal(0, proxy.ActiveConnections);
        }
    }

    [Fact]
    public async Task CutAllAsync_Close_BothPeersSeeEndOfStream()
    {
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint);
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            await proxy.WaitForConnectionsAsync(1).OrTimeout();

            await proxy.CutAllAsync(CutMode.Close).OrTimeout();

            Assert.Equal(SocketError.Disconnecting, await client.ReceiveErrorAsync());
            Assert.Equal(SocketError.Disconnecting, await server.ReceiveErrorAsync());
        }
    }

    [Fact]
    public async Task AfterACut_TheClientCanReconnect_AndTheTestCanWaitForIt()
    {
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint);
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        client.Dispose();
        server.Dispose();
        await proxy.CutAllAsync(CutMode.Reset).OrTimeout();

        var reconnected = proxy.WaitForTotalConnectionsAsync(2);
        var (client2, server2) = await upstream.ConnectThroughAsync(proxy);
        using (client2)
        using (server2)
        {
            await reconnected.OrTimeout();
            await client2.SendTextAsync("again");
            Assert.Equal("again", await server2.ReadTextAsync(5));
        }
    }

    [Theory]
    [InlineData(Direction.Upstream)]
    [InlineData(Direction.Downstream)]
    [InlineData(Direction.Both)]
    public async Task HalfOpen_StopsDeliveryButKeepsTheConnection_HealResumesNewBytes(Direction direction)
    {
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint);
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            await proxy.WaitForConnectionsAsync(1).OrTimeout();
            proxy.SetHalfOpen(direction);
            Assert.Equal(direction, proxy.HalfOpen);

            // Send "lost" in every direction; each half-open direction drops it, each open one delivers it.
            await client.SendTextAsync("lost");
            await server.SendTextAsync("lost");
            var droppedDirections = direction == Direction.Both ? 2 : 1;
            await proxy.WaitForDroppedBytesAsync(4 * droppedDirections).OrTimeout();
            if (!direction.HasFlag(Direction.Upstream))
            {
                Assert.Equal("lost", await server.ReadTextAsync(4));
            }

            if (!direction.HasFlag(Direction.Downstream))
            {
                Assert.Equal("lost", await client.ReadTextAsync(4));
            }

            // The proxy has consumed and discarded the bytes: nothing is on its way to the far side.
            Assert.Equal(0, server.Available);
            Assert.Equal(0, client.Available);
            Assert.Equal(1, proxy.ActiveConnections);

            proxy.Heal();

            await client.SendTextAsync("up");
            Assert.Equal("up", await server.ReadTextAsync(2));
            await server.SendTextAsync("down");
            Assert.Equal("down", await client.ReadTextAsync(4));
            Assert.Equal(4 * droppedDirections, proxy.DroppedBytes);
        }
    }

    [Fact]
    public async Task HalfOpenStall_HoldsTheBytesInsteadOfLosingThem_HealDeliversThem()
    {
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint);
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            await proxy.WaitForConnectionsAsync(1).OrTimeout();
            proxy.SetHalfOpen(Direction.Downstream, HalfOpenMode.Stall);
            Assert.Equal(Direction.Downstream, proxy.HalfOpen);
            Assert.Equal(Direction.Downstream, proxy.HalfOpenStalled);

            // The stalled direction forwards nothing (the other still does); nothing is discarded.
            await server.SendTextAsync("held");
            await client.SendTextAsync("up");
            Assert.Equal("up", await server.ReadTextAsync(2));
            Assert.Equal(0, client.Available);

            proxy.Heal();
            Assert.Equal(Direction.None, proxy.HalfOpen);
            Assert.Equal("held", await client.ReadTextAsync(4));
            Assert.Equal(0, proxy.DroppedBytes);
        }
    }

    [Fact]
    public async Task Latency_HoldsBytesUntilTimeAdvances()
    {
        var time = new ManualTimeProvider();
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint, new FaultProxyOptions { TimeProvider = time });
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            proxy.SetLatency(Direction.Downstream, TimeSpan.FromSeconds(5));
            await server.SendTextAsync("late");

            // The pump has read the bytes and is waiting out the latency.
            await time.WaitForTimersAsync(1).OrTimeout();
            Assert.Equal(TimeSpan.FromSeconds(5), time.NextDueIn);
            Assert.Equal(0, client.Available);

            time.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal("late", await client.ReadTextAsync(4));

            // The other direction has no latency.
            await client.SendTextAsync("fast");
            Assert.Equal("fast", await server.ReadTextAsync(4));
        }
    }

    [Fact]
    public async Task Bandwidth_DeliversOneSecondsWorthPerSecond()
    {
        var time = new ManualTimeProvider();
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint, new FaultProxyOptions { TimeProvider = time });
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            proxy.SetBandwidth(Direction.Downstream, 100);
            var payload = Enumerable.Range(0, 250).Select(i => (byte)i).ToArray();
            await server.SendAsync(payload, SocketFlags.None);

            var received = new List<byte>();
            foreach (var (expected, advance) in new[] { (100, 1.0), (100, 1.0), (50, 0.0) })
            {
                received.AddRange(await client.ReadExactlyAsync(expected));

                // The pump now waits for the slice's transmission time before sending more.
                await time.WaitForTimersAsync(1).OrTimeout();
                Assert.Equal(0, client.Available);
                if (advance > 0)
                {
                    time.Advance(TimeSpan.FromSeconds(advance));
                }
            }

            Assert.Equal(payload, received);
            Assert.Equal(TimeSpan.FromSeconds(0.5), time.NextDueIn);
        }
    }

    [Fact]
    public async Task RefuseNewConnections_Reset_AcceptsThenResets_ExistingConnectionsUnaffected()
    {
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint);
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            await proxy.RefuseNewConnectionsAsync(RefusalMode.Reset).OrTimeout();

            using var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            Assert.Equal(SocketError.ConnectionReset, await refused.ConnectAndReceiveErrorAsync(proxy.EndPoint));
            Assert.Equal(1, proxy.RefusedConnections);
            Assert.Equal(1, proxy.TotalConnections);

            await client.SendTextAsync("still");
            Assert.Equal("still", await server.ReadTextAsync(5));
        }
    }

    [Fact]
    public async Task RefuseNewConnections_StopListening_ConnectIsRefused_UntilAcceptingAgainOnTheSamePort()
    {
        using var upstream = new Upstream();
        await using var proxy = await FaultProxy.StartAsync(upstream.EndPoint);
        var port = proxy.EndPoint.Port;

        await proxy.RefuseNewConnectionsAsync(RefusalMode.StopListening).OrTimeout();
        using (var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var error = await Assert.ThrowsAsync<SocketException>(() => refused.ConnectAsync(proxy.EndPoint).OrTimeout());
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        }

        await proxy.AcceptNewConnectionsAsync().OrTimeout();
        Assert.Equal(port, proxy.EndPoint.Port);
        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            await client.SendTextAsync("back");
            Assert.Equal("back", await server.ReadTextAsync(4));
        }
    }

    [Fact]
    public async Task UpstreamDown_ClientIsReset()
    {
        EndPoint deadEndPoint;
        using (var dead = new Upstream())
        {
            deadEndPoint = dead.EndPoint;
        }

        await using var proxy = await FaultProxy.StartAsync(deadEndPoint);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        Assert.Equal(SocketError.ConnectionReset, await client.ConnectAndReceiveErrorAsync(proxy.EndPoint));
        Assert.Equal(1, proxy.TotalConnections);
        await Task.WhenAll(proxy.GetTrackedTasks().SkipLast(1)).OrTimeout();
        Assert.Equal(0, proxy.ActiveConnections);
    }

    [Fact]
    public async Task DisposeAsync_ClosesEverything_AndLeavesNoTaskRunning()
    {
        using var upstream = new Upstream();
        var proxy = await FaultProxy.StartAsync(upstream.EndPoint);
        var pairs = new List<(Socket Client, Socket Server)>();
        for (var i = 0; i < 3; i++)
        {
            pairs.Add(await upstream.ConnectThroughAsync(proxy));
        }

        await proxy.WaitForConnectionsAsync(3).OrTimeout();
        proxy.SetLatency(Direction.Both, TimeSpan.FromHours(1));
        await pairs[0].Client.SendTextAsync("stuck in a delay");
        var tracked = proxy.GetTrackedTasks();
        Assert.Equal(4, tracked.Count);

        await proxy.DisposeAsync().OrTimeout();

        Assert.All(tracked, t => Assert.True(t.IsCompletedSuccessfully));
        Assert.Empty(proxy.GetTrackedTasks());
        Assert.Equal(0, proxy.ActiveConnections);
        foreach (var (client, server) in pairs)
        {
            Assert.Equal(SocketError.ConnectionReset, await client.ReceiveErrorAsync());
            client.Dispose();
            server.Dispose();
        }

        await proxy.StopAsync().OrTimeout();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => proxy.RefuseNewConnectionsAsync());
    }
}

using Lifeline.Client.Tests.Infrastructure;
using Lifeline.Testing.Leaks;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Lifeline.Client.Tests;

/// <summary>The two seed bugs. Each test fails if its bug comes back (see the comments for the failure it guards).</summary>
public class RegressionTests
{
    /// <summary>
    /// Seed bug (a): a heartbeat/watchdog loop that StopAsync does not await (nor end) kept running after the client
    /// "stopped". Guards <c>AwaitLoopsAsync</c> and the watchdog's use of the connection token: without them this fails with
    /// "[async] LifelineClient.WatchdogLoopAsync awaiting Task.Delay".
    /// </summary>
    [Fact]
    public async Task StopAsync_EndsAndAwaitsTheWatchdogLoop()
    {
        await using var server = await TestServer.StartAsync();
        var options = TestOptions.For(server.GetUri(), out var time);
        options.InactivityTimeout = TimeSpan.FromSeconds(30);
        var scope = LeakVerifier.CreateScope("client", new LeakOptions { Timeout = TimeSpan.Zero });

        await scope.RunAsync(async () =>
        {
            var client = new LifelineClient(options);
            await client.StartAsync(CancellationToken.None);
            await client.WaitUntilConnectedAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
            Assert.Equal(1, time.ActiveTimerCount); // the watchdog's wait
            await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        });
        var report = await scope.VerifyAsync();

        Assert.False(report.HasLeaks, report.ToString());        // checked at once: StopAsync itself must have ended it
        Assert.Equal(0, time.ActiveTimerCount);
    }

    /// <summary>
    /// Seed bug (b): a second close event of the same outage scheduled a second reconnect. Here one outage produces
    /// several close events: the watchdog's timeout, then the receive loop failing on the socket the watchdog aborted;
    /// and the application calls ReconnectNow and StartAsync repeatedly while the reconnect is scheduled. Exactly one
    /// reconnect must follow, and the new connection must stay up. Guards the epoch check in <c>WaitForEndAsync</c>:
    /// without it the late event of connection 1 tears down connection 2 and this fails on the Reconnecting count.
    /// </summary>
    [Fact]
    public async Task CloseEventStorm_SchedulesExactlyOneReconnect()
    {
        await using var server = await TestServer.StartAsync();
        var time = new ManualTimeProvider();
        var logs = new FakeLogCollector();
        var options = TestOptions.For(server.GetUri(), time);
        options.InactivityTimeout = TimeSpan.FromSeconds(10);
        options.LoggerFactory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        await using var client = new LifelineClient(options);
        var events = await EventRecorder.StartAsync(client);
        await events.ConnectedAsync();

        time.Advance(TimeSpan.FromSeconds(10));                  // close event 1: inactivity; event 2: the aborted read
        var disconnected = await events.DisconnectedAsync();
        await events.ReconnectingAsync();
        for (var i = 0; i < 5; i++)
        {
            client.ReconnectNow();                               // manual reconnects while one is scheduled
            await client.StartAsync(CancellationToken.None);
        }

        var connected = await events.ConnectedAsync();

        // Either a message makes the round trip on connection 2 (correct), or a second reconnect starts (the bug).
        using var cts = new CancellationTokenSource();
        var secondReconnect = events.NextOrCancelAsync<ReconnectingEventArgs>(cts.Token);
        var roundTrip = RoundTripAsync(server, client);
        await Task.WhenAny(roundTrip, secondReconnect).OrTimeout(TimeSpan.FromSeconds(30));
        Assert.Equal(1, events.Count<ReconnectingEventArgs>());
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => secondReconnect);
        Assert.Equal("round trip on connection 2", await roundTrip.OrTimeout(TimeSpan.FromSeconds(30)));
        var report = await client.StopAsync(CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(DisconnectReason.HeartbeatTimeout, disconnected.Reason);
        Assert.Equal(2, connected.Epoch);
        Assert.Equal(ClientState.Connected, report.StateAtStop);
        Assert.Equal(2, events.Count<ConnectedEventArgs>());
        Assert.Equal(2, server.TotalConnections);
        Assert.Equal(2, client.GetSnapshot().ConnectionAttempts);
        Assert.Contains(logs.GetSnapshot(), e => e.Id.Id == 8 && e.Message.Contains("late close event of connection 1", StringComparison.Ordinal));
    }

    private static async Task<string> RoundTripAsync(TestServer server, LifelineClient client)
    {
        var second = await server.NextConnectionAsync();
        second = second.Number == 1 ? await server.NextConnectionAsync() : second;
        await client.SendAsync("round trip on connection 2", CancellationToken.None);
        return await second.Received.ReadAsync();
    }
}

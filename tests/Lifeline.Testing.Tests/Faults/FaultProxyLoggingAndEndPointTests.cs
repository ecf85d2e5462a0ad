using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.Logging;

namespace Lifeline.Testing.Tests.Faults;

public class FaultProxyLoggingAndEndPointTests
{
    [Fact]
    public async Task UpstreamGivenAsDnsEndPoint_IsReached()
    {
        using var upstream = new Upstream();
        var port = ((IPEndPoint)upstream.EndPoint).Port;
        await using var proxy = await FaultProxy.StartAsync(new DnsEndPoint("localhost", port));

        var (client, server) = await upstream.ConnectThroughAsync(proxy);
        using (client)
        using (server)
        {
            await client.SendTextAsync("dns");
            Assert.Equal("dns", await server.ReadTextAsync(3));
        }
    }

    [Fact]
    public async Task FaultsAndConnections_AreLogged_WithFixedEventIds()
    {
        var sink = new CapturingProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(sink).SetMinimumLevel(LogLevel.Trace));
        using var upstream = new Upstream();
        await using (var proxy = await FaultProxy.StartAsync(upstream.EndPoint, new FaultProxyOptions { LoggerFactory = factory }))
        {
            var (client, server) = await upstream.ConnectThroughAsync(proxy);
            using (client)
            using (server)
            {
                await client.SendTextAsync("x");
                Assert.Equal("x", await server.ReadTextAsync(1));
                proxy.SetHalfOpen(Direction.Upstream);
                proxy.Heal();
                await proxy.CutAllAsync(CutMode.Reset).OrTimeout();
            }
        }

        var ids = sink.Entries.Select(e => e.EventId).ToHashSet();
        Assert.Superset(new HashSet<int> { 1, 2, 3, 5, 7, 8, 9, 10 }, ids);
        Assert.Contains(sink.Entries, e => e.EventId == 7 && e.Message.Contains("cutting 1 connection", StringComparison.Ordinal));
    }

    private sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<(int EventId, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(Entries);

        public void Dispose()
        {
        }

        private sealed class CapturingLogger(ConcurrentQueue<(int, string)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => entries.Enqueue((eventId.Id, formatter(state, exception)));
        }
    }
}

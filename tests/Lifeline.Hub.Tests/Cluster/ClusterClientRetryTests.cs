using System.Collections.Concurrent;
using Lifeline.Extensions.Logging;
using Lifeline.Hub.Client;
using Lifeline.Hub.Client.Shipping;
using Lifeline.Protocol;
using Lifeline.Serilog;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Serilog;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>
/// docs/cluster.md, "Failures" (every engine server down): the typed client, the logging provider and the Serilog sink
/// keep a publish answered <c>unavailable</c> and send the same <c>ref</c> again with backoff until the node acks it.
/// </summary>
public sealed class ClusterClientRetryTests
{
    private static readonly TimeSpan Timeout = ClusterHubs.Timeout;

    /// <summary>
    /// Regression: the typed client threw <c>HubPublishRejectedException(unavailable)</c> (its caller retrying would have
    /// used a new ref), and the provider and the sink, shipping through it, counted the entries as rejected and dropped them.
    /// </summary>
    [Fact]
    public async Task EngineDown_TypedClientProviderAndSink_RetryTheSameRefWithBackoff_UntilBack_EveryEntryStoredOnce()
    {
        await using var cluster = await ClusterHubs.StartAsync(1, o => o.ClusterAppendTimeout = TimeSpan.FromSeconds(1));
        var hub = cluster.Hubs[0];

        // Each of the three says (its client's log) when the node answered it unavailable; the test waits for all three.
        string[] clients = ["retry-typed", "retry-provider", "retry-sink"];
        var answered = new ConcurrentDictionary<string, bool>();
        var allAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var collector = FakeLogCollector.Create(new FakeLogCollectorOptions
        {
            OutputSink = line =>
            {
                foreach (var id in clients.Where(id => line.Contains($"of client {id} was answered unavailable", StringComparison.Ordinal)))
                {
                    answered[id] = true;
                }

                if (answered.Count == clients.Length)
                {
                    allAnswered.TrySetResult();
                }
            },
        });
        using var clientLogs = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(collector)));
        void Configure(Lifeline.Client.LifelineClientOptions c)
        {
            c.LoggerFactory = clientLogs;
            c.Reconnect.BaseDelay = TimeSpan.FromMilliseconds(100);
            c.Reconnect.MaxDelay = TimeSpan.FromMilliseconds(500);
        }

        T Shipping<T>(T options, string clientId)
            where T : LogShippingOptions
        {
            options.Url = hub.BaseUri;
            options.ClientId = clientId;
            options.BatchInterval = TimeSpan.Zero;
            options.ShutdownTimeout = Timeout;
            options.ConfigureClient = Configure;
            return options;
        }

        await using var client = new LifelineHubClient(new LifelineHubClientOptions { Url = hub.BaseUri, ClientId = clients[0], ConfigureClient = Configure });
        var provider = new LifelineLoggerProvider(Shipping(new LifelineLoggerOptions(), clients[1]));
        var sink = new LifelineSink(Shipping(new LogShippingOptions(), clients[2]));
        var serilog = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        try
        {
            for (var i = 0; i < cluster.Engine.Count; i++)
            {
                await cluster.Engine.KillServerAsync(i);
            }

            var publishes = Enumerable.Range(0, 5)
                .Select(b => client.PublishAsync([.. Enumerable.Range(0, 3).Select(e => new LogEntry { Message = $"typed {b}.{e}", Source = "typed" })], CancellationToken.None))
                .ToList();
            var logger = provider.CreateLogger("retry");
            for (var i = 0; i < 10; i++)
            {
#pragma warning disable CA1848, CA1873 // a test's log lines, not a hot path
                logger.LogInformation("provider {Index}", i);
#pragma warning restore CA1848, CA1873
                serilog.Information("sink {Index}", i);
            }

            // A publish that ends while the engine is down (the failure this guards) ends the wait too.
            await Task.WhenAny(allAnswered.Task, Task.WhenAny(publishes)).OrTimeout(Timeout);
            Assert.All(publishes, p => Assert.False(p.IsCompleted, $"a publish ended while the engine was down: {p.Exception?.InnerException?.Message}"));
            await allAnswered.Task.OrTimeout(Timeout);

            await cluster.Engine.StartServerAsync([.. Enumerable.Range(0, cluster.Engine.Count)]);
            var acks = await Task.WhenAll(publishes).OrTimeout(Timeout);
            Assert.All(acks, a => Assert.Equal(3, a.Count));
        }
        finally
        {
            // Flushes: each waits (ShutdownTimeout) until what it buffered is acked.
            await provider.DisposeAsync();
            await serilog.DisposeAsync();
            await sink.DisposeAsync();
        }

        await cluster.CatchUpAsync();
        var stored = (await ClusterHubs.QueryAllAsync(hub)).Select(e => e.Message).ToList();
        string[] expected =
        [
            .. Enumerable.Range(0, 5).SelectMany(b => Enumerable.Range(0, 3).Select(e => $"typed {b}.{e}")),
            .. Enumerable.Range(0, 10).Select(i => $"provider {i}"),
            .. Enumerable.Range(0, 10).Select(i => $"sink {i}"),
        ];
        Assert.Equal(expected.Order(), stored.Order());
    }

    /// <summary>With <c>Reconnect.MaxAttempts</c> set, a publish answered <c>unavailable</c> that many times in a row fails with that error.</summary>
    [Fact]
    public async Task EngineDown_ClientWithMaxAttempts_ThrowsUnavailableAfterThatManyAnswers()
    {
        await using var cluster = await ClusterHubs.StartAsync(1, o => o.ClusterAppendTimeout = TimeSpan.FromSeconds(1));
        var hub = cluster.Hubs[0];
        await using var client = new LifelineHubClient(new LifelineHubClientOptions
        {
            Url = hub.BaseUri,
            ConfigureClient = c =>
            {
                c.Reconnect.BaseDelay = TimeSpan.FromMilliseconds(100);
                c.Reconnect.MaxAttempts = 2;
            },
        });
        for (var i = 0; i < cluster.Engine.Count; i++)
        {
            await cluster.Engine.KillServerAsync(i);
        }

        var error = await Assert.ThrowsAsync<HubPublishRejectedException>(() => client.PublishAsync([new LogEntry { Message = "given up", Source = "typed" }], CancellationToken.None).OrTimeout(Timeout));
        Assert.Equal((ErrorCodes.Unavailable, (int?)null), (error.Error, error.Index));

        // Back before the node stops (its consumer then ends as usual); the publish given up may still land late.
        await cluster.Engine.StartServerAsync([.. Enumerable.Range(0, cluster.Engine.Count)]);
        await cluster.CatchUpAsync();
    }
}

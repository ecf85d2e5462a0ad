using System.Diagnostics;
using System.Globalization;
using System.Net;
using Lifeline.Extensions.Logging;
using Lifeline.Hub.Client;
using Lifeline.Hub.Client.Shipping;
using Lifeline.Hub.Tests.HubClient;
using Lifeline.Protocol;
using Lifeline.Serilog;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.Logging;
using Serilog;

namespace Lifeline.Hub.Tests.Storage;

/// <summary>
/// Issue 11, point 1, the randomized repeat: a child hub on SQLite is killed (SIGKILL) or stopped (SIGTERM) at random
/// moments, and restarted on the same file and port, while four kinds of publishers keep publishing with retries: HTTP
/// with <c>Idempotency-Key</c>, the hub client over <c>/v1/ingest</c>, the logging provider and the Serilog sink. Every
/// entry must be stored exactly once, every acknowledged batch where its ack says. Before the fix, retries of batches
/// committed just before a restart were stored twice. Bounded: 10 restarts by default, fewer (at least 4) past 25 s on
/// a slow machine. For longer runs: LIFELINE_RESTART_CYCLES sets the count, LIFELINE_RESTART_SEED replays a schedule,
/// LIFELINE_RESTART_KINDS=kill or term restarts one way only.
/// </summary>
public sealed partial class RandomRestartTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>HTTP retry back-off while the hub is down (a client's pause, not a synchronization).</summary>
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(20);

    private const int MinRestarts = 4;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(25);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lifeline-chaos-");

    private string Db => Path.Combine(_dir.FullName, "hub.db");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task KillsAndGracefulRestarts_AtRandomMoments_FourKindsOfPublishers_EveryEntryStoredExactlyOnce()
    {
        // Bounded for CI: 10 restarts, fewer (at least MinRestarts) if they take longer than Budget on a slow machine;
        // LIFELINE_RESTART_CYCLES asks for exactly that many, however long they take.
        var asked = int.TryParse(Environment.GetEnvironmentVariable("LIFELINE_RESTART_CYCLES"), CultureInfo.InvariantCulture, out var c);
        var cycles = asked ? c : 10;
        var budget = Stopwatch.StartNew();
        var seed = int.TryParse(Environment.GetEnvironmentVariable("LIFELINE_RESTART_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var kinds = Environment.GetEnvironmentVariable("LIFELINE_RESTART_KINDS");   // "kill", "term", or unset for both
        var random = new Random(seed);
        var port = ChildHub.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var progress = new Progress();
        var run = new Run();
        var hub = await ChildHub.StartAsync(Db, port);
        var provider = new LifelineLoggerProvider(Shipping(new LifelineLoggerOptions(), url));
        var sink = new LifelineSink(Shipping(new LogShippingOptions(), url));
        var serilog = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        var client = new LifelineHubClient(HubClientFixtures.Options(url, "chaos-client"));
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
        using var stop = new CancellationTokenSource();
        var (kills, terms) = (0, 0);
        try
        {
            var logger = provider.CreateLogger("chaos");
            var publishing = Task.WhenAll(
                PostUntilStoppedAsync(http, run, progress, logger, serilog, stop.Token),
                PublishUntilStoppedAsync(client, run, progress, stop.Token));
            for (var i = 0; i < cycles && (asked || i < MinRestarts || budget.Elapsed < Budget); i++)
            {
                await progress.WaitForAsync(progress.Count + random.Next(1, 40)).OrTimeout(Timeout);
                if (kinds == "kill" || (kinds != "term" && random.Next(2) == 0))
                {
                    await hub.KillAsync();
                    kills++;
                }
                else
                {
                    await hub.TerminateAsync();
                    terms++;
                }

                await hub.DisposeAsync();
                hub = await ChildHub.StartAsync(Db, port);
            }

            // Publishing works again after the last restart; then every publisher finishes the batch it has in flight,
            // and the provider and the sink flush what they hold.
            await progress.WaitForAsync(progress.Count + 10).OrTimeout(Timeout);
            await stop.CancelAsync();
            await publishing.OrTimeout(Timeout);
            await provider.DisposeAsync();
            await serilog.DisposeAsync();

            var stored = await hub.QueryAllAsync();
            var twice = stored.GroupBy(e => e.Message).Where(g => g.Count() > 1).ToList();
            var figures = $"seed {seed}: {kills} kills, {terms} SIGTERMs; {stored.Count} entries stored, {twice.Count} stored more than once " +
                $"(http {Twice("http-")}, hub client {Twice("ws-")}, provider {Twice("provider-")}, serilog {Twice("serilog-")})";
            int Twice(string prefix) => twice.Count(g => g.Key.StartsWith(prefix, StringComparison.Ordinal));
            output.WriteLine(figures);

            Assert.True(twice.Count == 0, figures);
            Assert.Equal(run.Expected().Order(StringComparer.Ordinal), stored.Select(e => e.Message).Order(StringComparer.Ordinal));
            var byId = stored.ToDictionary(e => e.Id, e => e.Message);
            foreach (var (batch, result) in run.Acked)
            {
                Assert.Equal(batch.Select(e => e.Message), Enumerable.Range(0, result.Count).Select(i => byId[result.FirstId + i]));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await provider.DisposeAsync();
            await serilog.DisposeAsync();
            await client.DisposeAsync();
            await hub.DisposeAsync();
        }
    }

    private static T Shipping<T>(T options, Uri url)
        where T : LogShippingOptions
    {
        options.Url = url;
        options.MaxBatchSize = 500;
        options.BufferCapacity = 1_000_000;   // nothing dropped: every entry logged must be stored
        options.BatchInterval = TimeSpan.FromMilliseconds(20);
        options.ShutdownTimeout = Timeout;
        options.ConfigureClient = HubClientFixtures.Options(url).ConfigureClient;
        return options;
    }

    /// <summary>Posts 20-entry batches with keys, retrying each until answered; after each answer logs 25 entries to the provider and to Serilog.</summary>
    private static async Task PostUntilStoppedAsync(HttpClient http, Run run, Progress progress, Microsoft.Extensions.Logging.ILogger logger, global::Serilog.ILogger serilog, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var batch = Batch("http", n, 20);
            var result = await PostWithRetriesAsync(http, batch, $"chaos-http/{n}");
            run.Add(batch, result, progress);
            for (var i = 0; i < 25; i++)
            {
                var id = run.NextLogged();
                LogProvider(logger, id);
                serilog.Information("serilog-{N}", id);
            }
        }
    }

    private static async Task<PublishResult> PostWithRetriesAsync(HttpClient http, LogEntry[] batch, string key)
    {
        while (true)
        {
            try
            {
                using var response = await ChildHub.PostAsync(http, batch, key);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return HttpBodyJson.ParsePublishResult(await response.Content.ReadAsByteArrayAsync());
                }

                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            }
            catch (HttpRequestException)
            {
                // The hub is down, or went down with the request: its retry, with the same key, decides.
            }
            catch (TaskCanceledException)
            {
                // HttpClient's timeout: the same.
            }

            await Task.Delay(RetryPause);
        }
    }

    /// <summary>Publishes 50-entry batches through the hub client, which retries each with the same ref until acknowledged.</summary>
    private static async Task PublishUntilStoppedAsync(LifelineHubClient client, Run run, Progress progress, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var batch = Batch("ws", n, 50);
            var ack = await client.PublishAsync(batch, CancellationToken.None).WaitAsync(Timeout, CancellationToken.None);
            run.Add(batch, new PublishResult(ack.Count, ack.FirstId, ack.LastId), progress);
        }
    }

    private static LogEntry[] Batch(string prefix, int n, int size) =>
        [.. Enumerable.Range(0, size).Select(i => new LogEntry { Message = $"{prefix}-{n}-{i}" })];

    [LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "provider-{N}")]
    private static partial void LogProvider(Microsoft.Extensions.Logging.ILogger logger, long n);

    /// <summary>What the publishers were answered and what they logged. Thread-safe.</summary>
    private sealed class Run
    {
        private readonly Lock _lock = new();
        private readonly List<(LogEntry[] Batch, PublishResult Result)> _acked = [];
        private long _logged;

        public IReadOnlyList<(LogEntry[] Batch, PublishResult Result)> Acked
        {
            get
            {
                lock (_lock)
                {
                    return [.. _acked];
                }
            }
        }

        public void Add(LogEntry[] batch, PublishResult result, Progress progress)
        {
            int count;
            lock (_lock)
            {
                _acked.Add((batch, result));
                count = _acked.Count;
            }

            progress.Report(count);
        }

        public long NextLogged() => Interlocked.Increment(ref _logged) - 1;

        public IEnumerable<string> Expected()
        {
            var logged = Interlocked.Read(ref _logged);
            return Acked.SelectMany(a => a.Batch).Select(e => e.Message)
                .Concat(Enumerable.Range(0, (int)logged).SelectMany(i => new[] { $"provider-{i}", $"serilog-{i}" }));
        }
    }
}

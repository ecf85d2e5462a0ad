using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Lifeline.Hub;
using Lifeline.Hub.Log;
using Lifeline.Hub.Monitoring;
using Lifeline.Hub.Storage;
using Lifeline.LocalNats;
using Lifeline.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// <c>cluster-ingest [--mode nodes|engine] [--entries N] [--nodes 3] [--publishers P] [--window W] [--batch 100]</c>:
/// issue 13's ingest figure. Starts 3 nats-server processes (JetStream, an R3 stream) and <c>--nodes</c> hub nodes, each
/// with <c>--publishers</c> concurrent publishers sending <c>--batch</c>-entry requests until <c>--entries</c> are acked
/// (after a warm-up of a tenth as many); prints acked entries/s, ack latency and CPU.
/// <list type="bullet">
/// <item><c>nodes</c> (the default): the nodes are <c>lifeline serve --cluster</c> processes and each publisher is a
/// <c>/v1/ingest</c> WebSocket pipelining up to <c>--window</c> publish messages (what the typed client speaks); CPU is
/// each process's, from <c>/proc</c>.</item>
/// <item><c>engine</c>: the nodes are cluster logs in this process (the engine side of a node, without HTTP), each
/// publisher appending directly; also prints the races lost (appends rebuilt after another node's). Run it with
/// <c>--nodes 1</c> in the same session for the one-writer ratio.</item>
/// </list>
/// Everything it started (servers included) stops before it returns, by pid, also on failure or Ctrl+C.
/// </summary>
public sealed class ClusterIngestCommand : IBenchCommand
{
    /// <inheritdoc />
    public string Name => "cluster-ingest";

    /// <inheritdoc />
    public string Description => "cluster ingest: publishers on 3 lifeline serve --cluster nodes sending 100-entry requests (--mode engine: the cluster log alone, in process)";

    /// <inheritdoc />
    public Task<int> RunAsync(string[] args)
    {
        var mode = Array.IndexOf(args, "--mode") is var m and >= 0 && m + 1 < args.Length ? args[m + 1] : "nodes";
        return mode switch
        {
            "nodes" => ClusterNodesIngest.RunAsync(args),
            "engine" => ChildGuard.RunAsync(_ => EngineAsync(args)),
            _ => Task.FromResult(Usage(mode)),
        };
    }

    private static int Usage(string mode)
    {
        Console.Error.WriteLine($"cluster-ingest: unknown --mode {mode} (nodes, engine)");
        return 2;
    }

    private static async Task<int> EngineAsync(string[] args)
    {
        var total = BenchArgs.Int(args, "--entries", 300_000);
        var nodeCount = BenchArgs.Int(args, "--nodes", 3);
        var publishers = BenchArgs.Int(args, "--publishers", 8);
        var batch = BenchArgs.Int(args, "--batch", 100);
        var engine = await BenchCluster.StartEngineAsync();
        try
        {
            return await EngineAsync(engine, nodeCount, publishers, batch, total);
        }
        finally
        {
            await BenchCluster.StopEngineAsync(engine);
        }
    }

    private static async Task<int> EngineAsync(LocalNatsCluster engine, int nodeCount, int publishers, int batch, int total)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        await using var disposeServices = services;
        var nodes = new List<JetStreamEntryLog>();
        try
        {
            for (var n = 0; n < nodeCount; n++)
            {
                var options = new HubOptions { ClusterUrls = [.. engine.Urls], ClusterNodeName = $"bench{n}", ClusterReplicas = 3 };
                var metrics = new HubMetrics(services.GetRequiredService<IMeterFactory>(), Options.Create(options));
                var log = new JetStreamEntryLog(options, metrics, NullLogger.Instance);
                await log.StartAsync(new NullSink(), CancellationToken.None);
                nodes.Add(log);
            }

            foreach (var node in nodes)
            {
                await node.CatchUpAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            }

            var requests = MakeRequests(batch);

            // Warm up (JIT, connections, stream files), then measure.
            await RunAsync(nodes, publishers, requests, Math.Max(total / 10, batch * publishers * nodeCount), null);
            var latencies = new List<double>();
            var races = nodes.Sum(n => n.Engine.RacesLost);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var acked = await RunAsync(nodes, publishers, requests, total, latencies);
            watch.Stop();
            var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            latencies.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cluster-ingest engine: {acked / watch.Elapsed.TotalSeconds:N0} entries/s acked ({acked:N0} in {acked / batch:N0} requests of {batch}, {nodeCount} node(s) x {publishers} publishers, R3 stream on 3 nats-server 2.9 processes); " +
                $"ack latency p50 {Percentile(latencies, 0.50):N1} ms, p99 {Percentile(latencies, 0.99):N1} ms; races lost {nodes.Sum(n => n.Engine.RacesLost) - races:N0}; " +
                $"{used.TotalMicroseconds / acked:N2} us CPU per entry in this process"));
            return 0;
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static async Task<long> RunAsync(List<JetStreamEntryLog> nodes, int publishers, List<EntryFields>[] requests, int total, List<double>? latencies)
    {
        long acked = 0;
        long started = 0;
        var batch = requests[0].Count;
        async Task PublishAsync(JetStreamEntryLog node, int seed)
        {
            var i = seed;
            while (Interlocked.Add(ref started, batch) <= total)
            {
                var begin = Stopwatch.GetTimestamp();
                var (result, _) = await node.AppendAsync(requests[i++ % requests.Length], null, CancellationToken.None);
                var ms = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
                Interlocked.Add(ref acked, result.Count);
                if (latencies is not null)
                {
                    lock (latencies)
                    {
                        latencies.Add(ms);
                    }
                }
            }
        }

        await Task.WhenAll(nodes.SelectMany((node, n) => Enumerable.Range(0, publishers).Select(p => PublishAsync(node, (n * publishers) + p))));
        return acked;
    }

    private static List<EntryFields>[] MakeRequests(int batch)
    {
        var random = new Random(13);
        return [.. Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, batch).Select(i => new EntryFields
        {
            Level = LogEntryLevel.Information,
            Source = $"service-{random.Next(8)}",
            Message = $"request {random.Next()} handled in {random.Next(1000)} ms " + new string('x', 60 + random.Next(40)),
        }).ToList())];
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    private sealed class NullSink : ICommitSink
    {
        public void Publish(IReadOnlyList<StoredEntry> batch)
        {
        }

        public void Deliver()
        {
        }
    }
}

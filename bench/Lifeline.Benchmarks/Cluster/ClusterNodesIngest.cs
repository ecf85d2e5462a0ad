using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Lifeline.Benchmarks.Hub.Load;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// <c>cluster-ingest --mode nodes</c> (see <see cref="ClusterIngestCommand"/>): publishers on every
/// <c>lifeline serve --cluster</c> node over <c>/v1/ingest</c>, until the entries are acked.
/// </summary>
internal static class ClusterNodesIngest
{
    public static Task<int> RunAsync(string[] args) => ChildGuard.RunAsync(stopping => RunAsync(args, stopping));

    private static async Task<int> RunAsync(string[] args, CancellationToken stopping)
    {
        var total = BenchArgs.Int(args, "--entries", 300_000);
        var nodeCount = BenchArgs.Int(args, "--nodes", 3);
        var publishers = BenchArgs.Int(args, "--publishers", 4);
        var window = BenchArgs.Int(args, "--window", 4);
        var batch = BenchArgs.Int(args, "--batch", 100);
        var entryBytes = BenchArgs.Int(args, "--entry-bytes", 200);
        Console.WriteLine($"cluster-ingest: start, {Load.Average()}");

        // The mirrors keep what is published (memory store): room for the warm-up and the run.
        await using var cluster = await BenchCluster.StartAsync(nodeCount, ["--memory-max-entries", Math.Max(1_000_000, total * 2).ToString(CultureInfo.InvariantCulture)], stopping);
        await RoundAsync(cluster, publishers, window, batch, entryBytes, Math.Max(total / 10, batch * publishers * nodeCount), new LatencyRecorder(), stopping);

        var latency = new LatencyRecorder { Recording = true };
        var races0 = await cluster.RacesLostAsync(stopping);
        var cpu0 = cluster.CpuSnapshot();
        var load0 = Load.Average();
        var watch = Stopwatch.StartNew();
        var (acked, errors) = await RoundAsync(cluster, publishers, window, batch, entryBytes, total, latency, stopping);
        watch.Stop();
        var cpu1 = cluster.CpuSnapshot();
        var races = (await cluster.RacesLostAsync(stopping)).Zip(races0, (now, then) => now - then).ToList();
        var rate = acked / watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cluster-ingest: {rate:N0} entries/s acked ({acked:N0} of {total:N0} in {watch.Elapsed.TotalSeconds:N1} s, {errors:N0} refused; requests of {batch} over /v1/ingest, {nodeCount} lifeline serve --cluster nodes x {publishers} publishers x {window} in flight; R3 stream on 3 nats-server processes); " +
            $"ack p50 {Ms.Format(latency.PercentileMs(0.50))} ms, p99 {Ms.Format(latency.PercentileMs(0.99))} ms, max {latency.MaxMs:N0} ms; races lost (appends rebuilt after another node's) {string.Join(", ", races.Select((r, i) => $"{cluster.Nodes[i].Name} {r:N0}"))}; {load0}"));
        Console.WriteLine($"cluster-ingest {cpu1.Since(cpu0)}; {cpu1.PerUnit(cpu0, acked)}; {Load.Average()}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cluster-ingest target: at least 30,000 entries/s with {nodeCount} nodes publishing {batch}-entry requests ({rate:N0}): {(rate >= 30_000 ? "met" : "NOT met")}"));
        return acked == total && errors == 0 ? 0 : 1;
    }

    /// <summary>Publishers on every node until <paramref name="total"/> entries were sent; returns the entries acked and refused.</summary>
    private static async Task<(long Acked, long Errors)> RoundAsync(BenchCluster cluster, int publishers, int window, int batch, int entryBytes, int total, LatencyRecorder latency, CancellationToken cancellationToken)
    {
        var budget = new StrongBox<long>(total);
        var all = cluster.Nodes.SelectMany(node => Enumerable.Range(0, publishers).Select(_ => (node, publisher: new WindowedPublisher(batch, entryBytes, window)))).ToList();
        await Task.WhenAll(all.Select(p => p.publisher.RunAsync(p.node.WsUri, budget, latency, cancellationToken)));
        return (all.Sum(p => p.publisher.Acked), all.Sum(p => p.publisher.Errors));
    }
}

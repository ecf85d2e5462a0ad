using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Lifeline.Benchmarks.Hub.Load;
using Lifeline.Protocol;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// <c>cluster-catchup [--entries 1000000] [--rounds 5] [--entry-bytes 200]</c>: issue 13's catch-up figure, against
/// single-node catch-up on the same build in the same run. Starts a single hub (<c>lifeline serve</c>, memory store)
/// and a cluster (3 nats-server, 3 <c>lifeline serve --cluster</c> nodes, memory mirrors), fills both with
/// <c>--entries</c> entries (1,000 per publish; the cluster's through node1), waits until node2's mirror holds them
/// all, then, after one warm-up round of each (not counted: JIT and tiering of the read path), <c>--rounds</c> times, alternately, one subscriber with <c>after=0</c> on the single hub and one on node2,
/// each timed until it received every entry (checked: all of them, ids in order). Prints entries/s of each (best and
/// median), the serving process's CPU per entry, the ratio, and the load average. Bounded; everything it started is
/// stopped by pid, also on failure or Ctrl+C.
/// </summary>
public sealed class ClusterCatchUpCommand : IBenchCommand
{
    private const int FillBatch = 1_000;
    private static readonly TimeSpan CatchUpDeadline = TimeSpan.FromMinutes(2);

    /// <inheritdoc />
    public string Name => "cluster-catchup";

    /// <inheritdoc />
    public string Description => "catch-up (after=0) from a cluster node's mirror vs a single hub, same build, same run (3 nats-server + 3 lifeline serve --cluster + 1 lifeline serve)";

    /// <inheritdoc />
    public Task<int> RunAsync(string[] args) => ChildGuard.RunAsync(stopping => RunAsync(args, stopping));

    private static async Task<int> RunAsync(string[] args, CancellationToken stopping)
    {
        var total = BenchArgs.Int(args, "--entries", 1_000_000) / FillBatch * FillBatch;
        var rounds = BenchArgs.Int(args, "--rounds", 5);
        var entryBytes = BenchArgs.Int(args, "--entry-bytes", 200);
        Console.WriteLine($"cluster-catchup: start, {Load.Average()}");
        string[] store = ["--memory-max-entries", (total + 1).ToString(CultureInfo.InvariantCulture)];
        await using var single = await HubNodeProcess.StartAsync("single", [], store, stopping);
        await using var cluster = await BenchCluster.StartAsync(3, store, stopping);
        var node = cluster.Nodes[1];

        var watch = Stopwatch.StartNew();
        await FillAsync(single, total, entryBytes, stopping);
        var singleFill = watch.Elapsed;
        watch.Restart();
        await FillAsync(cluster.Nodes[0], total, entryBytes, stopping);
        await WaitForLastIdAsync(node, total, stopping);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cluster-catchup: filled {total:N0} entries of ~{entryBytes} B ({FillBatch:N0} per publish): single hub in {singleFill.TotalSeconds:N1} s, cluster through node1 (node2's mirror holding them all) in {watch.Elapsed.TotalSeconds:N1} s"));

        var ok = true;
        foreach (var hub in new[] { single, node })
        {
            ok &= (await CatchUpAsync(hub, total, stopping)).Complete;
        }

        var singleRuns = new List<Run>();
        var clusterRuns = new List<Run>();
        for (var round = 0; round < rounds && !stopping.IsCancellationRequested; round++)
        {
            foreach (var (hub, runs) in new[] { (single, singleRuns), (node, clusterRuns) })
            {
                var run = await CatchUpAsync(hub, total, stopping);
                ok &= run.Complete;
                runs.Add(run);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"cluster-catchup round {round + 1} {(hub == single ? "single hub" : $"cluster {hub.Name}")}: {run.PerSecond:N0} entries/s ({run.Received:N0} in {run.Elapsed.TotalSeconds:N2} s{(run.Complete ? "" : ", INCOMPLETE or out of order")}), hub {run.CpuMicrosecondsPerEntry:N2} us CPU per entry; {Load.Average()}"));
            }
        }

        var singleBest = singleRuns.Max(r => r.PerSecond);
        var clusterBest = clusterRuns.Max(r => r.PerSecond);
        var ratio = clusterBest / singleBest;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cluster-catchup: {total:N0} entries after=0: cluster node mirror {clusterBest:N0}/s best ({Median(clusterRuns):N0} median), single hub {singleBest:N0}/s best ({Median(singleRuns):N0} median) over {rounds} alternating rounds: ratio {ratio:N2} (median {Median(clusterRuns) / Median(singleRuns):N2}); {Load.Average()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cluster-catchup target: a node's catch-up from its mirror as fast as single-node (best ratio {ratio:N2}, 0.9 or more counted as met on a noisy machine): {(ratio >= 0.9 ? "met" : "NOT met")}"));
        return ok ? 0 : 1;
    }

    private static double Median(List<Run> runs) => runs.Select(r => r.PerSecond).Order().ElementAt(runs.Count / 2);

    private static async Task FillAsync(HubNodeProcess hub, int total, int entryBytes, CancellationToken cancellationToken)
    {
        var budget = new StrongBox<long>(total);
        var publishers = Enumerable.Range(0, 2).Select(_ => new WindowedPublisher(FillBatch, entryBytes, window: 4)).ToList();
        await Task.WhenAll(publishers.Select(p => p.RunAsync(hub.WsUri, budget, new LatencyRecorder(), cancellationToken)));
        var acked = publishers.Sum(p => p.Acked);
        if (acked != total)
        {
            throw new InvalidOperationException($"filling {hub.Name}: {acked:N0} of {total:N0} acked ({publishers.Sum(p => p.Errors):N0} refused)");
        }
    }

    private static async Task WaitForLastIdAsync(HubNodeProcess hub, long lastId, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = hub.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var page = HttpBodyJson.ParseQueryPage(await http.GetByteArrayAsync(new Uri("v1/logs?limit=1&after=999999999999", UriKind.Relative), cancellationToken));
            if (page.LastId >= lastId)
            {
                return;
            }

            if (watch.Elapsed > CatchUpDeadline)
            {
                throw new TimeoutException($"{hub.Name}'s mirror holds ids up to {page.LastId:N0}, not {lastId:N0}, after {CatchUpDeadline.TotalSeconds:0} s");
            }

            // Polling another process: there is nothing to wait on across processes.
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>One subscriber from the start (<c>after=0</c>), timed until it received <paramref name="total"/> entries.</summary>
    private static async Task<Run> CatchUpAsync(HubNodeProcess hub, long total, CancellationToken cancellationToken)
    {
        var cpu0 = hub.ReadCpu();
        var watch = Stopwatch.StartNew();
        await using var sub = await LeanSubscriber.ConnectAsync(hub.BaseUri, LeanFormat.Lifeline.At("/v1/stream?after=0"), null, 1 << 20, null, cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(CatchUpDeadline);
        var receiving = sub.RunAsync(stop.Token);
        while (sub.Entries < total && !receiving.IsCompleted)
        {
            await Task.WhenAny(receiving, Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken));
        }

        var elapsed = watch.Elapsed;
        var cpu = hub.ReadCpu() - cpu0;
        var received = sub.Entries;
        await stop.CancelAsync();
        await receiving;
        return new Run(received, elapsed, cpu.TotalMicroseconds / Math.Max(1, received), received == total && sub.LastId == total && !sub.SawDisorder);
    }

    private sealed record Run(long Received, TimeSpan Elapsed, double CpuMicrosecondsPerEntry, bool Complete)
    {
        public double PerSecond => Received / Elapsed.TotalSeconds;
    }
}

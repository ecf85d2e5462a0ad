using System.Diagnostics;
using System.Globalization;
using Lifeline.Benchmarks.Hub.Load;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// <c>cluster-latency [--rate 2000] [--warmup 5] [--seconds 15] [--floor-seconds 10] [--entry-bytes 200]</c>: issue 13's cross-node delivery
/// figure. Starts 3 nats-server and 3 <c>lifeline serve --cluster</c> processes (no pinning: everything shares the
/// machine's cores), a subscriber on every node, and one publisher on node1 sending one entry per publish at
/// <c>--rate</c> against a schedule for warm-up plus <c>--seconds</c>; prints, per subscriber node, the delivery latency
/// (send to receive, measured after the warm-up) p50/p99/p99.9/max and whether it received every entry exactly once in
/// order; node1's publish-to-ack latency; each process's CPU over the measured window; the load average. Then, on the
/// same servers, the engine's own floor (<see cref="EngineFloor"/>: NATS alone at the same rate; <c>--floor-seconds 0</c>
/// skips it), so a tail the engine and the machine have is told apart from the hub's. Bounded: about a minute and a half; everything it started is stopped by pid, also on failure or Ctrl+C.
/// </summary>
public sealed class ClusterLatencyCommand : IBenchCommand
{
    private static readonly TimeSpan DeliveryDeadline = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public string Name => "cluster-latency";

    /// <inheritdoc />
    public string Description => "cluster delivery latency: 1 publisher on node1 at 2,000 entries/s, subscribers on 3 lifeline serve --cluster nodes (3 nats-server)";

    /// <inheritdoc />
    public Task<int> RunAsync(string[] args) => ChildGuard.RunAsync(stopping => RunAsync(args, stopping));

    private static async Task<int> RunAsync(string[] args, CancellationToken stopping)
    {
        var rate = BenchArgs.Int(args, "--rate", 2_000);
        var warmUp = BenchArgs.Int(args, "--warmup", 5);
        var seconds = BenchArgs.Int(args, "--seconds", 15);
        var entryBytes = BenchArgs.Int(args, "--entry-bytes", 200);
        var floorSeconds = BenchArgs.Int(args, "--floor-seconds", 10);
        var total = rate * (warmUp + seconds);
        Console.WriteLine($"cluster-latency: start, {Load.Average()}");
        await using var cluster = await BenchCluster.StartAsync(3, [], stopping);
        var subscribers = new List<(HubNodeProcess Node, LeanSubscriber Sub, LatencyRecorder Latency, DeliveryCheck Check, Task Run)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        try
        {
            foreach (var node in cluster.Nodes)
            {
                var latency = new LatencyRecorder();
                var check = new DeliveryCheck();
                var sub = await LeanSubscriber.ConnectAsync(node.BaseUri, LeanFormat.Lifeline, null, 1 << 20, latency, stopping);
                sub.OnEntry = check.Observe;
                subscribers.Add((node, sub, latency, check, sub.RunAsync(stop.Token)));
            }

            await Task.WhenAll(subscribers.Select(s => s.Sub.Hello.Task)).WaitAsync(TimeSpan.FromSeconds(30), stopping);
            var publisher = new PacedPublisher(rate, total, entryBytes);
            var publishing = publisher.RunAsync(cluster.Nodes[0].WsUri, stopping);

            // Warm-up (JIT, tiering, the consumers' first pulls), then the measured window.
            await Task.WhenAny(publishing, Task.Delay(TimeSpan.FromSeconds(warmUp), stopping));
            var cpu0 = cluster.CpuSnapshot();
            var load0 = Load.Average();
            foreach (var s in subscribers)
            {
                s.Latency.Recording = true;
            }

            publisher.ScheduleLag.Recording = publisher.AckLatency.Recording = true;
            var sentBefore = publisher.Sent;
            await Task.WhenAny(publishing, Task.Delay(TimeSpan.FromSeconds(seconds), stopping));
            var cpu1 = cluster.CpuSnapshot();
            var measuredSent = publisher.Sent - sentBefore;
            foreach (var s in subscribers)
            {
                s.Latency.Recording = false;
            }

            publisher.ScheduleLag.Recording = publisher.AckLatency.Recording = false;
            await publishing;

            // Everything sent must arrive everywhere: wait (bounded) for the last deliveries.
            var watch = Stopwatch.StartNew();
            while (subscribers.Any(s => s.Check.Received < publisher.Sent) && watch.Elapsed < DeliveryDeadline && !stopping.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), stopping);
            }

            var sent = publisher.Sent;
            var ok = publisher.Acked == sent && publisher.Errors == 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cluster-latency: {sent:N0} entries published to node1 at {rate:N0}/s, one per publish ({measuredSent:N0} in the {seconds} s measured window after {warmUp} s warm-up); {publisher.Acked:N0} acked, {publisher.Errors:N0} errors; " +
                $"ack p50 {publisher.AckLatency.PercentileMs(0.5):N2} ms, p99 {publisher.AckLatency.PercentileMs(0.99):N2} ms; publisher behind schedule p99 {publisher.ScheduleLag.PercentileMs(0.99):N2} ms, max {publisher.ScheduleLag.MaxMs:N1} ms; {load0}"));
            foreach (var s in subscribers)
            {
                var cross = s.Node == cluster.Nodes[0] ? "same node as the publisher" : "cross-node";
                var exact = s.Check.ExactlyOnceInOrder(sent);
                ok &= exact;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"cluster-latency {s.Node.Name} ({cross}): p50 {s.Latency.PercentileMs(0.5):N2} ms, p99 {s.Latency.PercentileMs(0.99):N2} ms, p99.9 {s.Latency.PercentileMs(0.999):N2} ms, max {s.Latency.MaxMs:N1} ms over {s.Latency.Count:N0} deliveries; {s.Check.Describe(sent)}"));
            }

            Console.WriteLine($"cluster-latency {cpu1.Since(cpu0)}; {cpu1.PerUnit(cpu0, measuredSent)}; {Load.Average()}");
            foreach (var s in subscribers.Where(s => s.Node != cluster.Nodes[0]))
            {
                var p50 = s.Latency.PercentileMs(0.5);
                var p99 = s.Latency.PercentileMs(0.99);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"cluster-latency target {s.Node.Name}: cross-node p50 under 5 ms ({p50:N2}) and p99 under 50 ms ({p99:N2}): {(p50 < 5 && p99 < 50 ? "met" : "NOT met")}"));
            }

            if (floorSeconds > 0)
            {
                var floor = await EngineFloor.MeasureAsync(cluster.Engine.Urls, rate, TimeSpan.FromSeconds(Math.Min(warmUp, 3)), TimeSpan.FromSeconds(floorSeconds), stopping);
                Console.WriteLine($"cluster-latency {floor}; {Load.Average()}");
            }

            return ok ? 0 : 1;
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var s in subscribers)
            {
                await s.Sub.DisposeAsync();
                await s.Run;
            }
        }
    }
}

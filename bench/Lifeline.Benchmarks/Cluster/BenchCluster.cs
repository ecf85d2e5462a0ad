using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lifeline.Benchmarks.Hub.Load;
using Lifeline.LocalNats;
using Lifeline.Tests.Shared;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// What the cluster benchmarks run against, every part a real process on 127.0.0.1 with its own ports: three
/// nats-server processes (JetStream, the tests' <see cref="NatsServerCluster"/>) and <c>lifeline serve --cluster</c>
/// nodes (<see cref="HubNodeProcess"/>, started one at a time: the first creates the stream), each healthy before it is
/// used. <see cref="CpuSnapshot"/> reads every process's CPU from <c>/proc</c>. Dispose stops the nodes, then the
/// servers, by pid, and waits for each. Not thread-safe.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private BenchCluster(LocalNatsCluster engine) => Engine = engine;

    public LocalNatsCluster Engine { get; }

    public List<HubNodeProcess> Nodes { get; } = [];

    /// <summary>Starts the engine and <paramref name="nodes"/> nodes <c>node1</c>, ... with <paramref name="extra"/> <c>serve</c> flags.</summary>
    public static async Task<BenchCluster> StartAsync(int nodes, IEnumerable<string> extra, CancellationToken cancellationToken)
    {
        var engine = await StartEngineAsync().ConfigureAwait(false);
        var cluster = new BenchCluster(engine);
        try
        {
            for (var i = 1; i <= nodes; i++)
            {
                cluster.Nodes.Add(await HubNodeProcess.StartAsync($"node{i}", engine.Urls, extra, cancellationToken).ConfigureAwait(false));
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Every child's CPU (hub nodes, then nats-servers) and this process's, now.</summary>
    public CpuSnapshot CpuSnapshot() => new(
        [.. Nodes.Select(n => (n.Name, n.ReadCpu())), .. Enumerable.Range(0, Engine.Count).Select(i => ("nats-" + Engine.Name(i), Engine.Pid(i) > 0 ? CpuSample.ReadProcessCpu(Engine.Pid(i)) : TimeSpan.Zero))],
        Process.GetCurrentProcess().TotalProcessorTime,
        Stopwatch.GetTimestamp());

    /// <summary>Each node's <c>racesLost</c> from <c>/v1/stats</c>: its appends another node's append preceded (each rebuilt and sent again).</summary>
    public async Task<long[]> RacesLostAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var races = new long[Nodes.Count];
        for (var i = 0; i < Nodes.Count; i++)
        {
            using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri(Nodes[i].BaseUri, "v1/stats"), cancellationToken).ConfigureAwait(false));
            races[i] = stats.RootElement.GetProperty("cluster").GetProperty("racesLost").GetInt64();
        }

        return races;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }

        await StopEngineAsync(Engine).ConfigureAwait(false);
    }

    /// <summary>Starts the three nats-servers, each registered with <see cref="ChildGuard"/>.</summary>
    public static async Task<LocalNatsCluster> StartEngineAsync()
    {
        var engine = await NatsServerCluster.StartAsync().ConfigureAwait(false);
        for (var i = 0; i < engine.Count; i++)
        {
            ChildGuard.Add(engine.Pid(i), "nats-server " + engine.Name(i));
        }

        return engine;
    }

    /// <summary>Stops the servers <see cref="StartEngineAsync"/> started (by pid, waiting for each) and unregisters them.</summary>
    public static async Task StopEngineAsync(LocalNatsCluster engine)
    {
        var pids = Enumerable.Range(0, engine.Count).Select(engine.Pid).ToList();
        await engine.DisposeAsync().ConfigureAwait(false);
        foreach (var pid in pids)
        {
            ChildGuard.Remove(pid);
        }
    }
}

/// <summary>CPU time of each child process and of this one at one moment; subtract two for a window.</summary>
internal sealed record CpuSnapshot(IReadOnlyList<(string Name, TimeSpan Cpu)> Children, TimeSpan Self, long Timestamp)
{
    /// <summary>One line: each process's CPU over the window since <paramref name="start"/>, as % of one core, and the total.</summary>
    public string Since(CpuSnapshot start)
    {
        var wall = Stopwatch.GetElapsedTime(start.Timestamp, Timestamp);
        string Percent(TimeSpan cpu) => (100 * cpu / wall).ToString("N0", CultureInfo.InvariantCulture) + "%";
        var parts = Children.Zip(start.Children, (now, then) => $"{now.Name} {Percent(now.Cpu - then.Cpu)}").ToList();
        var total = Children.Sum(c => c.Cpu.Ticks) - start.Children.Sum(c => c.Cpu.Ticks) + (Self - start.Self).Ticks;
        return $"CPU (% of one core) {string.Join(", ", parts)}, bench {Percent(Self - start.Self)}; all {Percent(TimeSpan.FromTicks(total))} of {Environment.ProcessorCount * 100}%";
    }

    /// <summary>CPU microseconds per <paramref name="units"/> since <paramref name="start"/>: the hub nodes', the nats-servers' (children named <c>nats-*</c>) and all processes'.</summary>
    public string PerUnit(CpuSnapshot start, long units)
    {
        double Us(Func<string, bool> which) => Children.Zip(start.Children).Where(p => which(p.First.Name)).Sum(p => (p.First.Cpu - p.Second.Cpu).TotalMicroseconds) / units;
        var all = Us(_ => true) + ((Self - start.Self).TotalMicroseconds / units);
        return string.Create(CultureInfo.InvariantCulture, $"CPU per entry: hub nodes {Us(n => !n.StartsWith("nats-", StringComparison.Ordinal)):N1} us, nats-servers {Us(n => n.StartsWith("nats-", StringComparison.Ordinal)):N1} us, all processes {all:N1} us");
    }
}

/// <summary>Latency figures as the cluster benchmarks print them: the recorder's buckets end at 1 s.</summary>
internal static class Ms
{
    /// <summary><paramref name="ms"/> with one decimal, or "over 1,000" past the recorder's last bucket.</summary>
    public static string Format(double ms) => ms >= 1_000 ? "over 1,000" : ms.ToString("N1", CultureInfo.InvariantCulture);
}

/// <summary>The machine's load, as the figures report it: they are measured on a shared machine.</summary>
internal static class Load
{
    /// <summary>The 1, 5 and 15 minute load averages from <c>/proc/loadavg</c>.</summary>
    public static string Average() => File.Exists("/proc/loadavg")
        ? "load average " + string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3))
        : "load average unknown";
}

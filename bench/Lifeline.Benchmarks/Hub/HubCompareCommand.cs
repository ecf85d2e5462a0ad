using System.Diagnostics;
using System.Globalization;
using Lifeline.Benchmarks.Baselines;
using Lifeline.Benchmarks.Hub.Load;

namespace Lifeline.Benchmarks.Hub;

/// <summary>
/// <c>hub-compare [--only signalr,lifeline-1,lifeline-100] [--scenarios throughput,latency,idle] [--step-seconds S]
/// [--seconds S] [--rate R] [--subscribers N] [--connections N] [--hold S] [--before PATH] [--verbose]</c>: the hub against an in-box
/// SignalR server side by side in one run, each server in its own process pinned to core 0 (a fresh one per scenario)
/// and the load on core 1, driven the same way: 100 lean subscribers, ~200-byte entries. Contenders: SignalR (default
/// options, one invocation per entry), Lifeline one entry per publish message (pipelined, as a line-by-line logger
/// publishes) and Lifeline 100 entries per publish. Scenarios: deliveries/s at the best rate every subscriber keeps up
/// with (a geometric ramp, then bisection) with the server's CPU per delivery; latency p99 at 2,000 entries/s with the
/// server's share of its core; server memory per idle connection 3 s after 5,000 connect. Prints <c>uptime</c> before
/// and after, the table and the ratios to SignalR. Bounded: about 4 minutes with the defaults. <c>--before PATH</c>
/// adds the hub of another build (the Lifeline.Benchmarks.dll of an older commit) as <c>before-1</c> and
/// <c>before-100</c>, for a before/after in the same run.
/// </summary>
public sealed class HubCompareCommand : IBenchCommand
{
    private const string SignalR = "signalr";
    private static readonly TimeSpan ScenarioDeadline = TimeSpan.FromMinutes(3);

    /// <inheritdoc />
    public string Name => "hub-compare";

    /// <inheritdoc />
    public string Description => "Side by side in one run: in-box SignalR vs Lifeline (1 and 100 entries per publish): deliveries/s, CPU/delivery, p99, idle memory";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args)
    {
        var only = Option(args, "--only", $"{SignalR},lifeline-1,lifeline-100").Split(',');
        var scenarios = Option(args, "--scenarios", "throughput,latency,idle").Split(',');
        var subscribers = BenchArgs.Int(args, "--subscribers", 100);
        var stepSeconds = BenchArgs.Int(args, "--step-seconds", 2);
        var latencySeconds = BenchArgs.Int(args, "--seconds", 5);
        var rate = BenchArgs.Int(args, "--rate", 2_000);
        var connections = BenchArgs.Int(args, "--connections", 5_000);
        var hold = BenchArgs.Int(args, "--hold", 3);
        var verbose = args.Contains("--verbose");
        var contenders = new[]
        {
            new Contender(SignalR, "SignalR (in-box, defaults), 1 per publish", ["signalr-server"], o => { o.Format = SignalRBaseline.Format; o.BaselinePublisher = SignalRBaseline.Publisher(o.EntryBytes); }),
            new Contender("lifeline-1", "Lifeline, 1 entry per publish", ["hub-server", "memory"], o => o.PerPublish = 1),
            new Contender("lifeline-100", "Lifeline, 100 entries per publish", ["hub-server", "memory"], o => o.PerPublish = 100),
        }.Where(c => only.Contains(c.Key)).ToList();
        if (Option(args, "--before", "") is { Length: > 0 } beforeBuild)
        {
            contenders.InsertRange(1, new[]
            {
                new Contender("before-1", "Lifeline before (--before), 1 entry per publish", ["hub-server", "memory"], o => o.PerPublish = 1, beforeBuild),
                new Contender("before-100", "Lifeline before (--before), 100 entries per publish", ["hub-server", "memory"], o => o.PerPublish = 100, beforeBuild),
            }.Where(c => only.Contains(c.Key.Replace("before", "lifeline", StringComparison.Ordinal))));
        }


        var cores = Environment.ProcessorCount;   // before this process pins itself to one
        var before = Uptime();
        Console.WriteLine($"before: {before}");
        if (OperatingSystem.IsLinux())
        {
            Process.GetCurrentProcess().ProcessorAffinity = 2;   // core 1; each server gets core 0
        }

        var results = new Dictionary<(string, HubLoadScenario), HubLoadResult>();
        var failed = 0;
        foreach (var contender in contenders)
        {
            foreach (var scenario in scenarios)
            {
                var options = new HubLoadOptions { Subscribers = subscribers };
                contender.Configure(options);
                switch (scenario)
                {
                    case "throughput":
                        options.Scenario = HubLoadScenario.Throughput;
                        options.RampStart = 1_000;
                        options.RampFactor = 1.5;
                        options.RampRefinements = 3;
                        options.RampMax = 1_000_000;
                        options.RampSettle = TimeSpan.FromSeconds(1);
                        options.RampStepDuration = TimeSpan.FromSeconds(stepSeconds);
                        break;
                    case "latency":
                        options.Scenario = HubLoadScenario.Latency;
                        options.Rate = rate;
                        options.LatencyWarmUp = TimeSpan.FromSeconds(3);
                        options.Duration = TimeSpan.FromSeconds(latencySeconds);
                        break;
                    case "idle":
                        options.Scenario = HubLoadScenario.IdleMemory;
                        options.IdleConnections = connections;
                        options.IdleSettle = TimeSpan.FromSeconds(hold);
                        break;
                    default:
                        Console.Error.WriteLine($"unknown scenario {scenario} (throughput, latency, idle)");
                        return 2;
                }

                var watch = Stopwatch.StartNew();
                try
                {
                    await using var server = await ServerProcess.StartAsync(core: 0, contender.ServerArguments, assembly: contender.Assembly);
                    server.Target(options);
                    using var deadline = new CancellationTokenSource(ScenarioDeadline);
                    var progress = verbose ? new Progress<HubLoadProgress>(p => Console.Error.WriteLine($"  {contender.Key} {scenario}: {p.Phase} {p.Count:N0} {p.PerSecond:N0}/s")) : null;
                    var result = await HubLoadRunner.RunAsync(options, progress, deadline.Token);
                    results[(contender.Key, options.Scenario)] = result;
                    Console.WriteLine($"{contender.Key} {scenario}: {Describe(result)} ({watch.Elapsed.TotalSeconds:N0} s)");
                }
                catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or IOException or System.Net.Sockets.SocketException or System.Net.WebSockets.WebSocketException or HttpRequestException or TimeoutException)
                {
                    failed++;
                    Console.WriteLine($"{contender.Key} {scenario}: failed after {watch.Elapsed.TotalSeconds:N0} s: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        Console.WriteLine($"after:  {Uptime()}");
        if (File.Exists("/proc/loadavg") && double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture) > cores)
        {
            Console.WriteLine($"warning: load average above the {cores} cores: other processes share core 0 with each server (see the core busy figures), so these figures are not the servers' own");
        }
        Console.WriteLine();
        PrintTable(contenders, results, subscribers, rate, connections, hold);
        PrintTargets(results);
        return failed == 0 ? 0 : 1;
    }

    private static void PrintTable(IReadOnlyList<Contender> contenders, Dictionary<(string, HubLoadScenario), HubLoadResult> results, int subscribers, int rate, int connections, int hold)
    {
        HubLoadResult? Get(string key, HubLoadScenario scenario) => results.GetValueOrDefault((key, scenario));
        var signalR = Get(SignalR, HubLoadScenario.Throughput);
        Console.WriteLine($"| server | deliveries/s ({subscribers} subscribers) | × SignalR | server µs CPU per delivery | × SignalR | p99 (p50) ms at {rate:N0}/s × {subscribers} | server CPU, % of its core (core busy, all processes) | KB per idle connection ({connections:N0}, {hold} s): resident (managed) | payload B per delivery |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var c in contenders)
        {
            var t = Get(c.Key, HubLoadScenario.Throughput);
            var l = Get(c.Key, HubLoadScenario.Latency);
            var i = Get(c.Key, HubLoadScenario.IdleMemory);
            Console.WriteLine(string.Join(" | ", [
                $"| {c.Label}",
                t is null ? "-" : $"{t.EntriesPerSecond:N0}{(t.Failures == 0 ? "" : " (not kept up)")}",
                t is null || signalR is null ? "-" : $"{t.EntriesPerSecond / signalR.EntriesPerSecond:N2}",
                t is null ? "-" : $"{t.ServerMicrosecondsPerDelivery:N2}",
                t is null || signalR is null ? "-" : $"{t.ServerMicrosecondsPerDelivery / signalR.ServerMicrosecondsPerDelivery:N2}",
                l is null ? "-" : $"{l.P99Ms:N2} ({l.P50Ms:N2}){(l.Failures == 0 ? "" : " failures " + l.Failures)}",
                l is null ? "-" : $"{l.ServerCpuPercent:N0}% ({l.ServerCoreBusyPercent:N0}%)",
                i is null ? "-" : $"{i.ResidentBytesPerSubscriber / 1024:N1} ({i.ManagedBytesPerSubscriber / 1024:N1}){(i.Failures == 0 ? "" : $", {i.Failures} closed")}",
                t is null ? "- |" : $"{t.BytesPerDelivery:N0} |",
            ]));
        }
    }

    /// <summary>Issue 12's targets for this machine, each with what this run measured.</summary>
    private static void PrintTargets(Dictionary<(string, HubLoadScenario), HubLoadResult> results)
    {
        HubLoadResult? Get(string key, HubLoadScenario scenario) => results.GetValueOrDefault((key, scenario));
        static string Met(bool met) => met ? "met" : "NOT met";
        var signalR = Get(SignalR, HubLoadScenario.Throughput);
        var one = Get("lifeline-1", HubLoadScenario.Throughput);
        var oneLatency = Get("lifeline-1", HubLoadScenario.Latency);
        var hundred = Get("lifeline-100", HubLoadScenario.Throughput);
        Console.WriteLine();
        if (signalR is not null && one is not null)
        {
            var ratio = one.EntriesPerSecond / signalR.EntriesPerSecond;
            Console.WriteLine($"(a) 1 per publish at least 3x SignalR's deliveries/s: {ratio:N2}x, {Met(ratio >= 3)}");
        }

        if (oneLatency is not null)
        {
            Console.WriteLine($"(a) 1 per publish p99 under 2 ms at 2,000/s x 100 with the hub under 50% of its core: p99 {oneLatency.P99Ms:N2} ms, hub {oneLatency.ServerCpuPercent:N0}%, {Met(oneLatency.P99Ms < 2 && oneLatency.ServerCpuPercent < 50)}");
        }

        if (hundred is not null)
        {
            Console.WriteLine($"(b) 100 per publish at least 6.5M deliveries/s: {hundred.EntriesPerSecond / 1e6:N2}M, {Met(hundred.EntriesPerSecond >= 6_500_000)}");
        }

        foreach (var n in new[] { "1", "100" })
        {
            var now = Get("lifeline-" + n, HubLoadScenario.Throughput);
            var then = Get("before-" + n, HubLoadScenario.Throughput);
            var nowLatency = Get("lifeline-" + n, HubLoadScenario.Latency);
            var thenLatency = Get("before-" + n, HubLoadScenario.Latency);
            if (now is not null && then is not null)
            {
                Console.WriteLine($"lifeline-{n} against before-{n}: deliveries/s x{now.EntriesPerSecond / then.EntriesPerSecond:N2}, server CPU per delivery x{now.ServerMicrosecondsPerDelivery / then.ServerMicrosecondsPerDelivery:N2}");
            }

            if (nowLatency is not null && thenLatency is not null)
            {
                Console.WriteLine($"lifeline-{n} against before-{n} at {nowLatency.IngestedPerSecond:N0}/s: p99 {nowLatency.P99Ms:N2} against {thenLatency.P99Ms:N2} ms, hub CPU {nowLatency.ServerCpuPercent:N0}% against {thenLatency.ServerCpuPercent:N0}%, CPU per delivery x{nowLatency.ServerMicrosecondsPerDelivery / thenLatency.ServerMicrosecondsPerDelivery:N2}");
            }
        }

        foreach (var key in new[] { "lifeline-1", "lifeline-100" })
        {
            if (Get(key, HubLoadScenario.IdleMemory) is { } idle)
            {
                Console.WriteLine($"(c) {key}: under 8 KB per idle connection: {idle.ResidentBytesPerSubscriber / 1024:N1} KB resident ({idle.ManagedBytesPerSubscriber / 1024:N1} KB managed), {Met(idle.ResidentBytesPerSubscriber < 8 * 1024)}");
            }
        }
    }

    private static string Describe(HubLoadResult r) => r.Scenario switch
    {
        HubLoadScenario.Throughput => $"{r.EntriesPerSecond:N0} deliveries/s at {r.IngestedPerSecond:N0}/s published (sent {r.SentPerSecond:N0}/s){(r.Failures == 0 ? "" : ", NOT kept up")}, {r.ServerMicrosecondsPerDelivery:N2} µs server CPU per delivery, server {r.ServerCpuPercent:N0}% of its core, {r.BytesPerDelivery:N0} B per delivery",
        HubLoadScenario.Latency => $"p50 {r.P50Ms:N2} ms, p99 {r.P99Ms:N2} ms, max {r.MaxMs:N1} ms at {r.IngestedPerSecond:N0}/s published, {r.EntriesPerSecond:N0} deliveries/s; server {r.ServerCpuPercent:N0}% of its core (core {r.ServerCoreBusyPercent:N0}% busy, all processes), {r.ServerMicrosecondsPerDelivery:N2} µs per delivery, failures {r.Failures}",
        HubLoadScenario.IdleMemory => $"{r.ResidentBytesPerSubscriber:N0} B resident, {r.ManagedBytesPerSubscriber:N0} B managed (of which {r.PooledBytesPerSubscriber:N0} free pool blocks) per idle connection at {r.Entries:N0}, {r.Failures} closed early",
        _ => r.ToString(),
    };

    /// <summary>The load averages, as <c>uptime</c> prints them (<c>/proc/loadavg</c> if it cannot run).</summary>
    private static string Uptime()
    {
        try
        {
            using var uptime = Process.Start(new ProcessStartInfo("uptime") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var line = uptime.StandardOutput.ReadToEnd().Trim();
            uptime.WaitForExit();
            return line;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return File.Exists("/proc/loadavg") ? "load average " + File.ReadAllText("/proc/loadavg").Trim() : "load average unknown";
        }
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    private sealed record Contender(string Key, string Label, string[] ServerArguments, Action<HubLoadOptions> Configure, string? Assembly = null);
}

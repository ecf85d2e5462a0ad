using System.Diagnostics;
using System.Globalization;
using Lifeline.Benchmarks.Hub.Load;
using Lifeline.Hub;

namespace Lifeline.Benchmarks.Hub;

/// <summary>
/// <c>hub-load [scenario|all] [--subscribers N] [--seconds S] [--rate R] [--per-publish N] [--connections N] [--settle S] [--hold S] [--http-streams] [--in-process]</c>: the hub load tool. By default the hub
/// runs in a separate process pinned with <c>taskset -c 0</c> and this process (the load generator) is pinned to
/// core 1, so they do not share a core. Prints one line of figures per scenario.
/// </summary>
public sealed class HubLoadCommand : IBenchCommand
{
    /// <inheritdoc />
    public string Name => "hub-load";

    /// <inheritdoc />
    public string Description => "Hub load: delivered/s (100 subs), latency at 2k/s, NDJSON ingest (memory, sqlite), idle memory, catch-up";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args)
    {
        var scenario = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "all";
        var inProcess = args.Contains("--in-process");
        var seconds = BenchArgs.Int(args, "--seconds", 10);
        var subscribers = BenchArgs.Int(args, "--subscribers", 100);
        var runs = scenario == "all"
            ? new[] { "throughput", "latency", "ingest-memory", "ingest-sqlite", "idle", "catchup" }
            : [scenario];

        foreach (var run in runs)
        {
            var options = new HubLoadOptions { Duration = TimeSpan.FromSeconds(seconds), Subscribers = subscribers };
            var store = HubStoreKind.Memory;
            switch (run)
            {
                case "throughput": options.Scenario = HubLoadScenario.Throughput; options.ThroughputRate = BenchArgs.Int(args, "--rate", 0); break;
                case "latency": options.Scenario = HubLoadScenario.Latency; options.Rate = BenchArgs.Int(args, "--rate", 2_000); break;
                case "ingest-memory": options.Scenario = HubLoadScenario.Ingest; options.Publishers = 4; break;
                case "ingest-sqlite": options.Scenario = HubLoadScenario.Ingest; options.Publishers = 4; store = HubStoreKind.Sqlite; break;
                case "idle": options.Scenario = HubLoadScenario.IdleMemory; options.IdleConnections = BenchArgs.Int(args, "--connections", 5_000); options.IdleSettle = TimeSpan.FromSeconds(BenchArgs.Int(args, "--settle", 35)); options.IdleHold = TimeSpan.FromSeconds(BenchArgs.Int(args, "--hold", 0)); break;
                case "catchup": options.Scenario = HubLoadScenario.CatchUp; options.CatchUpEntries = BenchArgs.Int(args, "--entries", 1_000_000); options.Publishers = 2; break;
                default: Console.Error.WriteLine($"unknown scenario {run}"); return 2;
            }

            options.Store = store;
            options.PerPublish = BenchArgs.Int(args, "--per-publish", 0);
            ServerProcess? server = null;
            try
            {
                if (!inProcess)
                {
                    server = await StartServerAsync(store, args.Contains("--http-streams"));
                    server.Target(options);
                    if (options.IdleHold > TimeSpan.Zero)
                    {
                        Console.Error.WriteLine($"hub-server pid {server.Id}");
                    }

                    if (OperatingSystem.IsLinux())
                    {
                        Process.GetCurrentProcess().ProcessorAffinity = 2;   // core 1; the server has core 0
                    }
                }

                var progress = args.Contains("--verbose") ? new Progress<HubLoadProgress>(p => Console.Error.WriteLine($"  {p.Phase} {p.Count:N0} {p.PerSecond:N0}/s")) : null;
                var result = await HubLoadRunner.RunAsync(options, progress, CancellationToken.None);
                Console.WriteLine(Format(run, result, inProcess, options.PerPublish));
            }
            finally
            {
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
            }
        }

        return 0;
    }

    private static string Format(string run, HubLoadResult r, bool inProcess, int perPublish)
    {
        var where = (inProcess ? "in-process" : "server on core 0, load on core 1")
            + (perPublish > 0 ? $", {perPublish} per publish" : ", rate/100 per publish");
        var cpu = $"server {r.ServerMicrosecondsPerDelivery:N2} µs CPU per delivery, {r.ServerCpuPercent:N0}% of a core (its core {r.ServerCoreBusyPercent:N0}% busy, all processes), {r.BytesPerDelivery:N0} B per delivery";
        return r.Scenario switch
        {
            HubLoadScenario.Throughput => $"{run}: {r.EntriesPerSecond:N0} entries/s delivered ({r.IngestedPerSecond:N0}/s ingested; {(r.Failures == 0 ? "every subscriber kept up" : "subscribers fell behind")}) over {r.Elapsed.TotalSeconds:N1} s; {cpu} [{where}]",
            HubLoadScenario.Latency => $"{run}: p50 {r.P50Ms:N2} ms, p99 {r.P99Ms:N2} ms, max {r.MaxMs:N1} ms at {r.IngestedPerSecond:N0} entries/s ingested, {r.EntriesPerSecond:N0}/s delivered; {cpu} [{where}]",
            HubLoadScenario.Ingest => $"{run}: {r.EntriesPerSecond:N0} entries/s acknowledged over {r.Elapsed.TotalSeconds:N1} s [{where}]",
            HubLoadScenario.IdleMemory => $"{run}: {r.ManagedBytesPerSubscriber:N0} bytes managed heap (of which {r.PooledBytesPerSubscriber:N0} free Kestrel pool blocks), {r.ResidentBytesPerSubscriber:N0} bytes resident (GC committed {r.CommittedBytesPerSubscriber:N0}) per idle subscriber at {r.Entries:N0} connections, {r.Failures} closed early [{where}]",
            HubLoadScenario.CatchUp => $"{run}: {r.EntriesPerSecond:N0} entries/s caught up ({r.Entries:N0} in {r.Elapsed.TotalSeconds:N2} s), failures {r.Failures} [{where}]",
            _ => run,
        };
    }

    private static Task<ServerProcess> StartServerAsync(HubStoreKind store, bool httpStreams)
    {
        var db = Path.Combine(Path.GetTempPath(), "lifeline-load-server.db");
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(db + suffix);
        }

        var arguments = new List<string> { "hub-server", store == HubStoreKind.Sqlite ? "sqlite" : "memory", db };
        if (httpStreams)
        {
            arguments.Add("--http-streams");
        }

        // SERVER_X=v in this environment is X=v in the server's (experiment switches such as SERVER_KESTREL_INLINE=1).
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => ((string)e.Key).StartsWith("SERVER_", StringComparison.Ordinal))
            .ToDictionary(e => ((string)e.Key)["SERVER_".Length..], e => (string?)e.Value);
        return ServerProcess.StartAsync(core: 0, arguments, environment);
    }
}

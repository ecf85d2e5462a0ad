using System.Diagnostics;
using System.Globalization;
using Lifeline.Benchmarks.Hub.Load;
using Lifeline.Hub;

namespace Lifeline.Benchmarks.Hub;

/// <summary>
/// <c>hub-load [scenario|all] [--subscribers N] [--seconds S] [--rate R] [--connections N] [--settle S] [--hold S] [--http-streams] [--in-process]</c>: the hub load tool. By default the hub
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
            Process? server = null;
            try
            {
                if (!inProcess)
                {
                    (server, options.Target) = await StartServerAsync(store, args.Contains("--http-streams"));
                    if (options.IdleHold > TimeSpan.Zero)
                    {
                        Console.Error.WriteLine($"hub-server pid {server.Id}");
                    }
                    var s = server;
                    options.MeasureTargetMemory = async ct =>
                    {
                        await s.StandardInput.WriteLineAsync("mem".AsMemory(), ct);
                        await s.StandardInput.FlushAsync(ct);
                        while (true)
                        {
                            var line = await s.StandardOutput.ReadLineAsync(ct) ?? throw new InvalidOperationException("hub-server ended");
                            if (ProcessMemory.TryParse(line, out var memory))
                            {
                                return memory;
                            }
                        }
                    };
                    if (OperatingSystem.IsLinux())
                    {
                        Process.GetCurrentProcess().ProcessorAffinity = 2;   // core 1; the server has core 0
                    }
                }

                var progress = args.Contains("--verbose") ? new Progress<HubLoadProgress>(p => Console.Error.WriteLine($"  {p.Phase} {p.Count:N0} {p.PerSecond:N0}/s")) : null;
                var result = await HubLoadRunner.RunAsync(options, progress, CancellationToken.None);
                Console.WriteLine(Format(run, result, inProcess));
            }
            finally
            {
                if (server is not null)
                {
                    server.StandardInput.Close();
                    await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                    server.Dispose();
                }
            }
        }

        return 0;
    }

    private static string Format(string run, HubLoadResult r, bool inProcess)
    {
        var where = inProcess ? "in-process" : "server on core 0, load on core 1";
        return r.Scenario switch
        {
            HubLoadScenario.Throughput => $"{run}: {r.EntriesPerSecond:N0} entries/s delivered ({r.IngestedPerSecond:N0}/s ingested; {(r.Failures == 0 ? "every subscriber kept up" : "subscribers fell behind")}) over {r.Elapsed.TotalSeconds:N1} s [{where}]",
            HubLoadScenario.Latency => $"{run}: p50 {r.P50Ms:N2} ms, p99 {r.P99Ms:N2} ms, max {r.MaxMs:N1} ms at {r.IngestedPerSecond:N0} entries/s ingested, {r.EntriesPerSecond:N0}/s delivered [{where}]",
            HubLoadScenario.Ingest => $"{run}: {r.EntriesPerSecond:N0} entries/s acknowledged over {r.Elapsed.TotalSeconds:N1} s [{where}]",
            HubLoadScenario.IdleMemory => $"{run}: {r.ManagedBytesPerSubscriber:N0} bytes managed heap (of which {r.PooledBytesPerSubscriber:N0} free Kestrel pool blocks), {r.ResidentBytesPerSubscriber:N0} bytes resident (GC committed {r.CommittedBytesPerSubscriber:N0}) per idle subscriber at {r.Entries:N0} connections, {r.Failures} closed early [{where}]",
            HubLoadScenario.CatchUp => $"{run}: {r.EntriesPerSecond:N0} entries/s caught up ({r.Entries:N0} in {r.Elapsed.TotalSeconds:N2} s), failures {r.Failures} [{where}]",
            _ => run,
        };
    }

    private static async Task<(Process, Uri)> StartServerAsync(HubStoreKind store, bool httpStreams)
    {
        var self = typeof(HubLoadCommand).Assembly.Location;
        var db = Path.Combine(Path.GetTempPath(), "lifeline-load-server.db");
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(db + suffix);
        }

        var info = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", "0", "dotnet", self, "hub-server", store == HubStoreKind.Sqlite ? "sqlite" : "memory", db })
        {
            info.ArgumentList.Add(a);
        }

        if (httpStreams)
        {
            info.ArgumentList.Add("--http-streams");
        }

        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (((string)e.Key).StartsWith("SERVER_", StringComparison.Ordinal))
            {
                info.Environment[((string)e.Key)["SERVER_".Length..]] = (string?)e.Value;
            }
        }

        var process = Process.Start(info)!;
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (line is null || !line.StartsWith("LISTENING ", StringComparison.Ordinal))
        {
            process.Kill();
            throw new InvalidOperationException("hub-server did not start: " + line);
        }

        return (process, new Uri(line["LISTENING ".Length..]));
    }

}

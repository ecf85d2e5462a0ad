using System.CommandLine;
#if LIFELINE_BENCH
using System.Globalization;
using Lifeline.Benchmarks.Hub.Load;
using Lifeline.Hub;
using Spectre.Console;
#endif

namespace Lifeline.Cli.Commands;

/// <summary>
/// <c>lifeline bench</c>: the hub's load scenarios (bench/Lifeline.Benchmarks/Hub/Load, compiled into this tool)
/// with a progress display, then a table of figures. Every scenario is bounded in time and stops what it started.
/// </summary>
internal static class BenchCommand
{
    private static readonly string[] s_scenarios = ["throughput", "latency", "ingest-memory", "ingest-sqlite", "idle", "catchup"];

    public static Command Create(CommandContext context)
    {
        var scenario = new Argument<string[]>("scenario") { Description = $"Scenarios to run: {string.Join(", ", s_scenarios)}, or all", Arity = ArgumentArity.ZeroOrMore };
        scenario.AcceptOnlyFromAmong([.. s_scenarios, "all"]);
        var seconds = new Option<double>("--seconds") { Description = "Measured time of each timed scenario", DefaultValueFactory = _ => 5, HelpName = "seconds" }.InRange(0.5, 600);
        var subscribers = new Option<int>("--subscribers") { Description = "Subscribers for throughput and latency", DefaultValueFactory = _ => 100, HelpName = "count" }.InRange(1, 10_000);
        var rate = new Option<int>("--rate") { Description = "Entries per second published in the latency scenario", DefaultValueFactory = _ => 2_000, HelpName = "per-second" }.InRange(1, 1_000_000);
        var connections = new Option<int>("--connections") { Description = "Open streams in the idle scenario", DefaultValueFactory = _ => 5_000, HelpName = "count" }.InRange(1, 100_000);
        var entries = new Option<int>("--entries") { Description = "Entries to resume in the catch-up scenario", DefaultValueFactory = _ => 1_000_000, HelpName = "count" }.InRange(1, 10_000_000);
        var target = new Option<string?>("--target") { Description = "A running hub to load (its key from --key); default: a hub started in this process", HelpName = "url" };
        var command = new Command("bench", "Run the hub's load benchmarks on loopback and print the figures.")
        {
            scenario, seconds, subscribers, rate, connections, entries, target,
        }.WithExamples("lifeline bench ingest-memory latency --seconds 3", "lifeline bench all", "taskset -c 0 lifeline serve --no-auth & taskset -c 1 lifeline bench throughput --target http://127.0.0.1:5180");
#if LIFELINE_BENCH
        command.SetAction(async (result, cancellationToken) =>
        {
            var chosen = result.GetValue(scenario) is { Length: > 0 } names && !names.Contains("all") ? names : s_scenarios;
            var targetUrl = result.GetValue(target) is { } url ? HubEndpoint.Create(url, null, "--target").BaseUri : null;
            var key = result.GetValue(context.Global.Key) ?? context.Environment.GetVariable(GlobalOptions.KeyVariable);
            var runs = chosen.Select(name => (Name: name, Options: Options(name, result.GetValue(seconds), result.GetValue(subscribers), result.GetValue(rate), result.GetValue(connections), result.GetValue(entries), targetUrl, key))).ToList();
            var results = new List<(string Name, HubLoadResult Result)>();
            var failed = 0;
            var display = new BenchProgress(context.Environment);
            foreach (var run in runs)
            {
                try
                {
                    var figures = await display.RunAsync(run.Name, progress => HubLoadRunner.RunAsync(run.Options, progress, cancellationToken)).ConfigureAwait(false);
                    results.Add((run.Name, figures));
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
                {
                    // One scenario failing (a socket aborted under load) does not lose the others' figures.
                    failed++;
                    await context.Environment.Error.WriteLineAsync($"lifeline: bench {run.Name} failed: {CliErrors.Describe(exception, null).Message}").ConfigureAwait(false);
                }
            }

            Render(context.Environment, results, targetUrl);
            return failed > 0 || results.Any(r => r.Result.Failures > 0) ? ExitCodes.Failure : ExitCodes.Ok;
        });
#else
        command.SetAction(new Func<ParseResult, int>(_ => throw new CliException("this build of lifeline has no hub load runner (bench/Lifeline.Benchmarks/Hub/Load is missing)")));
#endif
        command.Add(context.Global.Key); // for --target; the hub it starts itself needs none
        return command;
    }
#if LIFELINE_BENCH

    private static HubLoadOptions Options(string name, double seconds, int subscribers, int rate, int connections, int entries, Uri? target, string? key)
    {
        var options = new HubLoadOptions { Duration = TimeSpan.FromSeconds(seconds), Subscribers = subscribers, Target = target, Key = key };
        switch (name)
        {
            case "throughput": options.Scenario = HubLoadScenario.Throughput; break;
            case "latency": options.Scenario = HubLoadScenario.Latency; options.Rate = rate; break;
            case "ingest-memory": options.Scenario = HubLoadScenario.Ingest; break;
            case "ingest-sqlite": options.Scenario = HubLoadScenario.Ingest; options.Store = HubStoreKind.Sqlite; options.SqlitePath = Path.Combine(Path.GetTempPath(), $"lifeline-bench-{Guid.NewGuid():N}.db"); break;
            case "idle": options.Scenario = HubLoadScenario.IdleMemory; options.IdleConnections = connections; break;
            default: options.Scenario = HubLoadScenario.CatchUp; options.CatchUpEntries = entries; options.Publishers = 2; break;
        }

        return options;
    }

    private static void Render(CliEnvironment environment, List<(string Name, HubLoadResult Result)> results, Uri? target)
    {
        var console = environment.CreateOutConsole();
        if (!environment.OutIsTerminal)
        {
            console.Profile.Width = 200;
        }

        var table = new Table { Border = environment.OutIsTerminal ? TableBorder.Rounded : TableBorder.Ascii, Title = new TableTitle(target is null ? "hub in this process, loopback" : $"hub at {target}") };
        foreach (var column in new[] { "scenario", "entries/s", "ingested/s", "p50 ms", "p99 ms", "max ms", "managed B/sub", "resident B/sub", "entries", "seconds", "failures" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var (name, r) in results)
        {
            table.AddRow(name, Number(r.EntriesPerSecond), Number(r.IngestedPerSecond), Milliseconds(r.P50Ms), Milliseconds(r.P99Ms), Milliseconds(r.MaxMs),
                Number(r.ManagedBytesPerSubscriber), Number(r.ResidentBytesPerSubscriber), Number(r.Entries), r.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture), r.Failures.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(table);
    }

    private static string Number(double value) => value > 0 ? value.ToString("N0", CultureInfo.InvariantCulture) : "-";

    private static string Milliseconds(double value) => value > 0 ? value.ToString("0.000", CultureInfo.InvariantCulture) : "-";
#endif
}

using System.CommandLine;
using System.Text.Json;
using Lifeline.Cli.Hub;
using Spectre.Console;

namespace Lifeline.Cli.Commands;

/// <summary><c>lifeline stats</c>: the hub's monitoring figures (<c>GET /v1/stats</c>) as tables, optionally refreshed.</summary>
internal static class StatsCommand
{
    public static Command Create(CommandContext context)
    {
        var watch = new Option<bool>("--watch", "-w") { Description = "Refresh until Ctrl+C" };
        var interval = new Option<double>("--interval") { Description = "Seconds between refreshes with --watch", DefaultValueFactory = _ => 2, HelpName = "seconds" }.InRange(0.1, 3600);
        var json = new Option<bool>("--json") { Description = "Print the JSON the hub returned" };
        var command = new Command("stats", "Show the hub's figures: clients, rates, lag, drops, reconnects per client.")
        {
            watch, interval, json,
        }.WithExamples("lifeline stats", "lifeline stats --watch --interval 1");
        command.SetAction(async (result, cancellationToken) =>
        {
            var endpoint = context.ResolveEndpoint(result);
            using var http = new HubHttpClient(endpoint, TimeSpan.FromSeconds(10));
            var environment = context.Environment;
            var console = environment.CreateOutConsole();
            if (!environment.OutIsTerminal)
            {
                console.Profile.Width = 200; // piped: never wrap columns
            }

            if (!result.GetValue(watch))
            {
                using var stats = await http.GetStatsAsync(cancellationToken).ConfigureAwait(false);
                Render(console, stats, result.GetValue(json), environment);
                return ExitCodes.Ok;
            }

            return await WatchAsync(http, console, TimeSpan.FromSeconds(result.GetValue(interval)), result.GetValue(json), environment, cancellationToken).ConfigureAwait(false);
        });
        return context.Global.AddTo(command);
    }

    /// <summary>
    /// Refreshes until cancelled. The first fetch failing ends the command with its error; later failures (the hub
    /// restarting) are shown and the next refresh tries again.
    /// </summary>
    private static async Task<int> WatchAsync(HubHttpClient http, IAnsiConsole console, TimeSpan interval, bool json, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var first = true;
        try
        {
            while (true)
            {
                try
                {
                    using var stats = await http.GetStatsAsync(cancellationToken).ConfigureAwait(false);
                    if (environment.OutIsTerminal && !json)
                    {
                        console.Clear(home: true);
                    }
                    else if (!first)
                    {
                        await environment.Out.WriteLineAsync().ConfigureAwait(false);
                    }

                    if (!json)
                    {
                        await environment.Out.WriteLineAsync($"{http.Endpoint} at {environment.Time.GetLocalNow():HH:mm:ss}").ConfigureAwait(false);
                    }

                    Render(console, stats, json, environment);
                }
                catch (Exception exception) when (!first && !cancellationToken.IsCancellationRequested)
                {
                    var (message, _) = CliErrors.Describe(exception, http.Endpoint, hint: false);
                    await environment.Error.WriteLineAsync($"lifeline: {message}; retrying in {interval.TotalSeconds:0.#} s").ConfigureAwait(false);
                }

                first = false;
                await environment.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(interval, environment.Time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }

    private static void Render(IAnsiConsole console, JsonDocument stats, bool json, CliEnvironment environment)
    {
        if (json)
        {
            environment.Out.WriteLine(stats.RootElement.GetRawText());
            return;
        }

        foreach (var renderable in StatsTables.Build(stats.RootElement, environment.OutIsTerminal))
        {
            console.Write(renderable);
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests;

/// <summary>Runs <c>lifeline demo</c> as a real process until it is ready, stops it with a signal, and returns what it printed.</summary>
internal static class DemoProcess
{
    /// <summary>
    /// Starts <paramref name="start"/> (a <c>demo</c> command line), waits for its "Press Ctrl+C" line, checks the hub
    /// answers <c>/healthz</c>, sends <paramref name="signal"/> and waits for the exit. The process is killed if any
    /// step fails, so nothing outlives the test.
    /// </summary>
    public static async Task<(int ExitCode, List<string> Output, string Error)> RunAndStopAsync(ProcessStartInfo start, string signal)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = new List<string>();
        try
        {
            while (await process.StandardOutput.ReadLineAsync().OrTimeout(TimeSpan.FromSeconds(60)) is { } line)
            {
                output.Add(line);
                if (line.StartsWith("Press Ctrl+C", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var dashboard = output.Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("dashboard: ", StringComparison.Ordinal));
            Assert.True(dashboard is not null, $"no dashboard line: {string.Join('\n', output)}\n{(process.HasExited ? await error : string.Empty)}");
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
            {
                var url = new Uri(new Uri(dashboard["dashboard: ".Length..].Split('?')[0]), "/healthz");
                using var health = await http.GetAsync(url);
                Assert.True(health.IsSuccessStatusCode, $"{url}: {health.StatusCode}");
            }

            using (var kill = Process.Start("kill", [signal, process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync().OrTimeout(TimeSpan.FromSeconds(30));
                Assert.Equal(0, kill.ExitCode);
            }

            output.AddRange((await process.StandardOutput.ReadToEndAsync().OrTimeout(TimeSpan.FromSeconds(60))).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            await process.WaitForExitAsync().OrTimeout(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().OrTimeout(TimeSpan.FromSeconds(30));
            }
        }

        return (process.ExitCode, output, await error.OrTimeout(TimeSpan.FromSeconds(30)));
    }
}

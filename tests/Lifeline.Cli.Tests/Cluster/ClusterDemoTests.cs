using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Lifeline.Testing.Tasks;
using Lifeline.Tests.Shared;

namespace Lifeline.Cli.Tests.Cluster;

/// <summary>
/// docs/cluster.md, "Try it": <c>lifeline cluster-demo</c> starts 3 nats-server + 3 nodes sharing one log, and Ctrl+C
/// stops all of it, leaving no process and no folder behind.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed partial class ClusterDemoTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ClusterDemo_StartsThreeServersAndThreeNodesSharingOneLog_CtrlCStopsEverything()
    {
        var server = RequiredTool.Find(NatsServerCluster.ServerVariable, "apt-get install nats-server", "nats-server");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lifeline.dll"));
        foreach (var arg in new[] { "cluster-demo", "--port", "0", "--rate", "50" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[NatsServerCluster.ServerVariable] = server;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = new List<string>();
        try
        {
            while (await process.StandardOutput.ReadLineAsync().OrTimeout(Timeout) is { } line)
            {
                output.Add(line);
                if (line.StartsWith("Press Ctrl+C", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var text = string.Join('\n', output);
            var engine = EngineLine().Match(text);
            Assert.True(engine.Success, text + (process.HasExited ? await error : string.Empty));
            var pids = engine.Groups["pids"].Value.Split(", ").Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
            var folder = engine.Groups["folder"].Value;
            Assert.Equal(3, pids.Count);
            Assert.True(Directory.Exists(folder), folder);
            var nodes = NodeLine().Matches(text).Select(m => new Uri(m.Groups["url"].Value)).ToList();
            Assert.Equal(3, nodes.Count);
            var key = KeyLine().Match(text).Groups["key"].Value;

            // Every node becomes healthy, and the generator's entries (published to node1) are read on node3.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            foreach (var node in nodes)
            {
                await WaitUntilAsync(async () => (await http.GetAsync(new Uri(node, "/healthz"))).StatusCode == HttpStatusCode.OK, $"{node} healthy");
            }

            await WaitUntilAsync(async () => (await http.GetStringAsync(new Uri(nodes[2], "/v1/logs?limit=1"))).Contains("\"id\":1,", StringComparison.Ordinal), "node3 reads the generated entries");

            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync().OrTimeout(Timeout);
            }

            output.AddRange((await process.StandardOutput.ReadToEndAsync().OrTimeout(Timeout)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            await process.WaitForExitAsync().OrTimeout(Timeout);
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{string.Join('\n', output)}\n{await error}");
            Assert.Equal("stopped", output[^1]);
            foreach (var pid in pids)
            {
                Assert.False(Directory.Exists($"/proc/{pid}"), $"nats-server {pid} still runs");
            }

            Assert.False(Directory.Exists(folder), $"{folder} left behind");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().OrTimeout(Timeout);
            }

            await error.OrTimeout(Timeout);
        }
    }

    /// <summary>Polls a condition on a child process (no event crosses the process boundary) until it holds.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var started = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition().OrTimeout(Timeout))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (started.Elapsed > Timeout)
            {
                throw new TimeoutException($"not within {Timeout.TotalSeconds:0} s: {what}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
        }
    }

    [GeneratedRegex(@"nats-server pids (?<pids>[0-9, ]+); data in (?<folder>[^)]+)\)")]
    private static partial Regex EngineLine();

    [GeneratedRegex(@"node\d:\s+(?<url>http://\S+?)\?access_token=")]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"key:\s+(?<key>\S+)")]
    private static partial Regex KeyLine();
}
